// Advantage estimators on hand-computed groups, including groups whose rewards are all equal.
#include "rl/advantages.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace aha::rl {
namespace {

torch::Tensor rewards(std::vector<float> r) { return torch::tensor(r); }

void expect_near(const torch::Tensor& got, std::vector<float> want, double tol = 1e-5) {
    ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i].item<float>(), want[i], tol) << "index " << i;
}

TEST(GroupAdvantageTest, GrpoNormalisesByGroupStd) {
    // Group {1, 0, 0, 1}: mean 0.5, unbiased std sqrt(1/3) = 0.57735.
    auto a = compute_advantages("grpo", {rewards({1, 0, 0, 1, 3, 1, 2, 2}), 4, 0.0});
    expect_near(a, {0.866025f, -0.866025f, -0.866025f, 0.866025f, 1.224745f, -1.224745f, 0.0f, 0.0f});
}

TEST(GroupAdvantageTest, ZeroVarianceGroupGivesZeroAdvantage) {
    for (const auto& e : advantage_estimators()) {
        auto a = compute_advantages(e.name, {rewards({1, 1, 1, 0, 0, 0}), 3});
        EXPECT_FALSE(torch::isnan(a).any().item<bool>()) << e.name;
        if (e.group_relative) expect_near(a, {0, 0, 0, 0, 0, 0});
        // A batch whose rewards are all equal has nothing to learn under every estimator.
        expect_near(compute_advantages(e.name, {rewards({1, 1, 1, 1}), 2}), {0, 0, 0, 0});
    }
}

TEST(GroupAdvantageTest, PasskGivesTheBestCompletionTheGapToTheSecond) {
    // Group {0, 2, 1, 2}: best 2 twice -> gap 0, nothing. Group {0, 3, 1, 0}: the 3 gets 3 - 1 = 2,
    // divided by the group std (mean 1, unbiased variance 6 / 3 = 2, std 1.414214) + eps 0.
    AdvantageInput in{rewards({0, 2, 1, 2, 0, 3, 1, 0}), 4, 0.0};
    in.scale = RewardScale::kNone;
    expect_near(compute_advantages("passk", in), {0, 0, 0, 0, 0, 2, 0, 0});
    in.scale = RewardScale::kGroup;
    expect_near(compute_advantages("passk", in), {0, 0, 0, 0, 0, 2 / 1.414214f, 0, 0});
}

TEST(GroupAdvantageTest, GrpoScalesByTheBatchStdOrNotAtAll) {
    // Batch {1, 0, 0, 1, 3, 1, 2, 2}: mean 1.25, unbiased variance 7.5 / 7, std 1.035098.
    AdvantageInput in{rewards({1, 0, 0, 1, 3, 1, 2, 2}), 4, 0.0};
    in.scale = RewardScale::kBatch;
    const float h = 0.5f / 1.035098f, o = 1.0f / 1.035098f;
    expect_near(compute_advantages("grpo", in), {h, -h, -h, h, o, -o, 0, 0});
    in.scale = RewardScale::kNone;
    EXPECT_TRUE(compute_advantages("grpo", in).equal(compute_advantages("dr_grpo", in)));
}

TEST(GroupAdvantageTest, ReinforcePlusPlusWhitensOverCompletionTokens) {
    // Equal lengths {1, 0, 0, 1}: mean 0.5, unbiased variance 1/3 -> +-0.5 / 0.57735.
    expect_near(compute_advantages("reinforce_pp", {rewards({1, 0, 0, 1}), 2}),
                {0.866025f, -0.866025f, -0.866025f, 0.866025f});
    // Lengths {3, 1, 1, 1}: 6 tokens, mean 4/6, variance (3/9 + 8/9 + 1/9) / 5 = 0.266667.
    AdvantageInput in{rewards({1, 0, 0, 1}), 2};
    in.lengths = torch::tensor({3, 1, 1, 1});
    expect_near(compute_advantages("reinforce_pp", in), {0.645497f, -1.290994f, -1.290994f, 0.645497f});
}

TEST(GroupAdvantageTest, ReinforcePlusPlusBaselineSubtractsTheGroupMeanFirst) {
    // Centred {0.5, -0.5, -0.5, 0.5, 1, -1, 0, 0}: mean 0, unbiased variance 3/7, std 0.654654.
    expect_near(compute_advantages("reinforce_pp_baseline", {rewards({1, 0, 0, 1, 3, 1, 2, 2}), 4}),
                {0.763763f, -0.763763f, -0.763763f, 0.763763f, 1.527525f, -1.527525f, 0, 0});
}

TEST(GroupAdvantageTest, DrGrpoSubtractsTheMeanOnly) {
    expect_near(compute_advantages("dr_grpo", {rewards({1, 0, 0, 0}), 4}), {0.75f, -0.25f, -0.25f, -0.25f});
}

TEST(GroupAdvantageTest, RlooUsesTheOtherMembersMean) {
    // r0 = 1, others mean 0 -> 1; r1 = 0, others mean 1/3 -> -1/3.
    expect_near(compute_advantages("rloo", {rewards({1, 0, 0, 0}), 4}), {1.0f, -1.0f / 3, -1.0f / 3, -1.0f / 3});
}

TEST(GroupAdvantageTest, EveryEstimatorKeepsShapeAndSumsToZeroPerGroup) {
    torch::manual_seed(0);
    auto r = torch::rand({24});
    for (const auto& e : advantage_estimators()) {
        auto a = compute_advantages(e.name, {r, 6});
        EXPECT_EQ(a.sizes(), r.sizes()) << e.name;
        EXPECT_EQ(a.scalar_type(), torch::kFloat32) << e.name;
        if (e.zero_sum) {
            EXPECT_TRUE(torch::allclose(a.view({4, 6}).sum(1), torch::zeros({4}), 1e-5, 1e-5)) << e.name;
        }
    }
}

TEST(GroupAdvantageTest, UnknownNameListsValidOnesAndBadGroupsAreRejected) {
    try {
        compute_advantages("grpoo", {rewards({1, 0}), 2});
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("valid names: grpo, dr_grpo, rloo, reinforce_pp, reinforce_pp_baseline, passk"),
                  std::string::npos);
    }
    EXPECT_THROW(compute_advantages("grpo", {rewards({1, 0, 1}), 2}), c10::Error);
    EXPECT_THROW(parse_reward_scale("groups", "rl.scale_rewards"), ConfigError);
}

}  // namespace
}  // namespace aha::rl
