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
    for (const auto& name : advantage_names()) {
        auto a = compute_advantages(name, {rewards({1, 1, 1, 0, 0, 0}), 3});
        EXPECT_FALSE(torch::isnan(a).any().item<bool>()) << name;
        expect_near(a, {0, 0, 0, 0, 0, 0});
    }
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
    for (const auto& name : advantage_names()) {
        auto a = compute_advantages(name, {r, 6});
        EXPECT_EQ(a.sizes(), r.sizes()) << name;
        EXPECT_TRUE(torch::allclose(a.view({4, 6}).sum(1), torch::zeros({4}), 1e-5, 1e-5)) << name;
    }
}

TEST(GroupAdvantageTest, UnknownNameListsValidOnesAndBadGroupsAreRejected) {
    try {
        compute_advantages("grpoo", {rewards({1, 0}), 2});
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("valid names: grpo, dr_grpo, rloo"), std::string::npos);
    }
    EXPECT_THROW(compute_advantages("grpo", {rewards({1, 0, 1}), 2}), c10::Error);
}

}  // namespace
}  // namespace aha::rl
