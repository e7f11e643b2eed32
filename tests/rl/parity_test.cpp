// Replays the cases of scripts/ref/rl_parity.py (TRL's GRPOTrainer loss code and verl's formulas on random
// float64 tensors) through aha's advantage estimators, KL estimators and policy losses: values and
// gradients within 1e-6. Run by tests/rl/ref_parity.sh, which makes the cases (AHA_RL_PARITY = their file).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/config.h"
#include "rl/advantages.h"
#include "rl/losses.h"

namespace aha::rl {
namespace {

constexpr double kTolerance = 1e-6;

torch::Tensor tensor(const Json& j) {
    auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    if (j.empty() || !j[0].is_array()) return torch::tensor(j.get<std::vector<double>>(), opts);
    std::vector<torch::Tensor> rows;
    for (const auto& row : j) rows.push_back(torch::tensor(row.get<std::vector<double>>(), opts));
    return torch::stack(rows);
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

void check_advantages(const Json& c, const std::string& id) {
    AdvantageInput in;
    in.rewards = tensor(c.at("rewards"));
    in.group_size = c.at("group_size").get<int64_t>();
    if (!c.at("eps").is_null()) in.eps = c.at("eps").get<double>();
    if (!c.at("scale_rewards").is_null()) in.scale = parse_reward_scale(c.at("scale_rewards"), id);
    if (!c.at("lengths").is_null()) in.lengths = tensor(c.at("lengths"));
    auto got = compute_advantages(c.at("estimator").get<std::string>(), in);
    ASSERT_EQ(got.scalar_type(), torch::kFloat64) << id;
    EXPECT_LT(max_diff(got, tensor(c.at("expected"))), kTolerance) << id;
}

void check_kl(const Json& c, const std::string& id) {
    auto got = kl_estimate(c.at("estimator").get<std::string>(), tensor(c.at("logprobs")), tensor(c.at("ref_logprobs")));
    EXPECT_LT(max_diff(got, tensor(c.at("expected"))), kTolerance) << id;
}

void check_loss(const Json& c, const std::string& id) {
    PolicyLossConfig config = PolicyLossConfig::from_json(ConfigReader(c.at("config"), id + ".config"));
    config.validate(id + ".config");
    PolicyLossInput in;
    in.logprobs = tensor(c.at("logprobs")).requires_grad_(true);
    in.old_logprobs = tensor(c.at("old_logprobs"));
    in.advantages = tensor(c.at("advantages"));
    in.mask = tensor(c.at("mask")).to(torch::kBool);
    if (!c.at("ref_logprobs").is_null()) in.ref_logprobs = tensor(c.at("ref_logprobs"));
    if (!c.at("entropy").is_null()) in.entropy = tensor(c.at("entropy")).requires_grad_(true);
    if (config.tis.enabled()) {
        ASSERT_FALSE(c.at("rollout_logprobs").is_null()) << id;
        in.is_weights = rollout_is_weights(config.tis, in.old_logprobs, tensor(c.at("rollout_logprobs")), in.mask);
    }
    auto norm = LossNormalizer::of(in.mask, c.at("max_length").get<double>());
    PolicyLossOutput out = policy_loss(config, in, norm);
    ASSERT_EQ(out.loss.scalar_type(), torch::kFloat64) << id;
    EXPECT_NEAR(out.loss.item<double>(), c.at("expected_loss").get<double>(), kTolerance) << id;
    out.loss.backward();
    EXPECT_LT(max_diff(in.logprobs.grad(), tensor(c.at("expected_grad_logprobs"))), kTolerance) << id;
    if (!c.at("expected_grad_entropy").is_null()) {
        ASSERT_TRUE(in.entropy.grad().defined()) << id;
        EXPECT_LT(max_diff(in.entropy.grad(), tensor(c.at("expected_grad_entropy"))), kTolerance) << id;
    }
}

TEST(RlParity, EveryReferenceCase) {
    const char* path = std::getenv("AHA_RL_PARITY");
    if (path == nullptr) GTEST_SKIP() << "AHA_RL_PARITY is not set: run tests/rl/ref_parity.sh";
    Json cases = load_json_file(path).at("cases");
    ASSERT_GT(cases.size(), 30u);
    int losses = 0, advantages = 0, kls = 0;
    for (const auto& c : cases) {
        const std::string id = c.at("id");
        const std::string kind = c.at("kind");
        if (kind == "loss") {
            check_loss(c, id);
            ++losses;
        } else if (kind == "advantages") {
            check_advantages(c, id);
            ++advantages;
        } else if (kind == "kl") {
            check_kl(c, id);
            ++kls;
        } else {
            ADD_FAILURE() << id << ": unknown kind " << kind;
        }
    }
    EXPECT_GT(losses, 0);
    EXPECT_GT(advantages, 0);
    EXPECT_GT(kls, 0);
}

}  // namespace
}  // namespace aha::rl
