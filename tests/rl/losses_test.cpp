// Every policy loss, KL estimator and aggregation against hand-computed values, and properties over
// every registered name: masked tokens contribute nothing, ratio 1 gives the REINFORCE gradient,
// padding length changes nothing.
#include "rl/losses.h"

#include <gtest/gtest.h>

#include <functional>

namespace aha::rl {
namespace {

TEST(PolicyLossTest, ClippedSurrogateMatchesHandComputation) {
    // One sequence, two tokens. Token 0: ratio e^0.5 = 1.6487 > 1.2 with A = +1 -> clipped: -1.2.
    // Token 1: ratio e^-0.1 = 0.904837 within range -> -0.904837. token_mean = -(1.2 + 0.904837) / 2.
    PolicyLossConfig c;
    PolicyLossInput in;
    in.logprobs = torch::tensor({{-0.5f, -1.1f}}).requires_grad_(true);
    in.old_logprobs = torch::tensor({{-1.0f, -1.0f}});
    in.advantages = torch::tensor({1.0f});
    in.mask = torch::tensor({{true, true}});
    auto out = policy_loss(c, in, LossNormalizer::of(in.mask, 2));
    EXPECT_NEAR(out.loss.item<float>(), -(1.2 + 0.904837) / 2, 1e-5);
    EXPECT_DOUBLE_EQ(out.clipped_tokens, 1.0);
    EXPECT_DOUBLE_EQ(out.clipped_high, 1.0);
    EXPECT_DOUBLE_EQ(out.clipped_low, 0.0);
    out.loss.backward();
    // The clipped token has no gradient; the other has d/dlogp (-ratio/2) = -ratio/2.
    EXPECT_NEAR(in.logprobs.grad()[0][0].item<float>(), 0.0, 1e-7);
    EXPECT_NEAR(in.logprobs.grad()[0][1].item<float>(), -0.904837 / 2, 1e-5);
}

TEST(PolicyLossTest, NegativeAdvantageClipsBelowAndClipHigherIsAsymmetric) {
    PolicyLossConfig c;
    c.clip_low = 0.2;
    c.clip_high = 0.28;
    PolicyLossInput in;
    in.logprobs = torch::log(torch::tensor({{0.5f, 1.25f}})).requires_grad_(true);
    in.old_logprobs = torch::zeros({1, 2});
    in.advantages = torch::tensor({-2.0f});
    in.mask = torch::ones({1, 2}, torch::kBool);
    // ratio 0.5, A=-2: min(-1.0, 0.8*-2=-1.6) = -1.6 -> loss 1.6 (clipped).
    // ratio 1.25, A=-2: min(-2.5, 1.25*-2) = -2.5 -> 2.5 (inside [0.8, 1.28]).
    auto out = policy_loss(c, in, LossNormalizer::of(in.mask, 2));
    EXPECT_NEAR(out.loss.item<float>(), (1.6 + 2.5) / 2, 1e-5);
    EXPECT_DOUBLE_EQ(out.clipped_tokens, 1.0);
    EXPECT_DOUBLE_EQ(out.clipped_low, 1.0);
    EXPECT_DOUBLE_EQ(out.clipped_high, 0.0);
}

TEST(PolicyLossTest, MaskedTokensContributeNoGradient) {
    torch::manual_seed(0);
    for (const auto& name : policy_loss_names())
    for (const auto& agg : aggregation_names()) {
        PolicyLossConfig c;
        c.name = name;
        c.aggregation = agg;
        c.kl_coef = 0.1;
        c.clip_low = c.clip_high = 10;  // keep every token inside the clip range, so every one has a gradient
        PolicyLossInput in;
        in.logprobs = (torch::randn({3, 5}) - 2).requires_grad_(true);
        in.old_logprobs = in.logprobs.detach() + 0.05 * torch::randn({3, 5});
        in.ref_logprobs = in.logprobs.detach() + 0.1 * torch::randn({3, 5});
        in.advantages = torch::tensor({1.0f, -0.5f, 2.0f});
        in.mask = torch::tensor({{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}, {1, 0, 0, 0, 0}}).to(torch::kBool);
        // Poison the masked positions: they must change nothing.
        auto base = policy_loss(c, in, LossNormalizer::of(in.mask, 5)).loss;
        base.backward();
        auto grad = in.logprobs.grad().clone();
        EXPECT_TRUE(torch::equal(grad.masked_select(in.mask.logical_not()), torch::zeros({6}))) << name << " " << agg;
        EXPECT_TRUE((grad.masked_select(in.mask) != 0).all().item<bool>()) << name << " " << agg;
        PolicyLossInput poisoned = in;
        poisoned.old_logprobs = in.old_logprobs.masked_fill(in.mask.logical_not(), 50.0);
        auto again = policy_loss(c, poisoned, LossNormalizer::of(in.mask, 5)).loss;
        EXPECT_NEAR(again.item<float>(), base.item<float>(), 1e-6) << name << " " << agg;
    }
}

TEST(PolicyLossTest, DualClipCapsTheLossOfNegativeAdvantages) {
    // ratio e^2 = 7.389, A = -1: the clipped surrogate gives max(7.389, 1.2) = 7.389; dual-clip with
    // c = 3 caps it at 3. A positive advantage is never capped.
    PolicyLossConfig c;
    c.clip_ratio_c = 3.0;
    PolicyLossInput in;
    in.logprobs = torch::tensor({{1.0f}, {1.0f}}).requires_grad_(true);
    in.old_logprobs = torch::tensor({{-1.0f}, {-1.0f}});
    in.advantages = torch::tensor({-1.0f, 1.0f});
    in.mask = torch::ones({2, 1}, torch::kBool);
    auto out = policy_loss(c, in, LossNormalizer::of(in.mask, 1));
    // Row 0: min(7.389, 3) = 3. Row 1: max(-7.389, -1.2) = -1.2. token_mean = (3 - 1.2) / 2.
    EXPECT_NEAR(out.loss.item<float>(), (3.0 - 1.2) / 2, 1e-5);
    out.loss.backward();
    EXPECT_EQ(in.logprobs.grad()[0][0].item<float>(), 0.0f);
}

TEST(PolicyLossTest, GspoUsesTheSequencesGeometricMeanRatio) {
    // Log ratios 0.1 and 0.3 on the two tokens: the sequence ratio is e^0.2 = 1.221403 for both. With
    // clip_high 0.25 it is inside the range, and the per-token loss is -A * 1.221403.
    PolicyLossConfig c;
    c.name = "gspo";
    c.clip_high = 0.25;
    PolicyLossInput in;
    in.old_logprobs = torch::tensor({{-1.0f, -2.0f, 0.0f}});
    in.logprobs = (in.old_logprobs + torch::tensor({{0.1f, 0.3f, 5.0f}})).requires_grad_(true);
    in.advantages = torch::tensor({2.0f});
    in.mask = torch::tensor({{true, true, false}});
    auto out = policy_loss(c, in, LossNormalizer::of(in.mask, 3));
    EXPECT_NEAR(out.loss.item<float>(), -2.0 * 1.221403, 1e-5);
    out.loss.backward();
    // d/dlogp_t of -A * s * p_t / sg(p_t), averaged over 2 tokens: -A * s / 2 for each token.
    EXPECT_NEAR(in.logprobs.grad()[0][0].item<float>(), -1.221403, 1e-5);
    EXPECT_NEAR(in.logprobs.grad()[0][1].item<float>(), -1.221403, 1e-5);
    // Past clip_high the sequence is clipped as a whole: e^0.2 > 1.1.
    c.clip_high = 0.1;
    EXPECT_DOUBLE_EQ(policy_loss(c, in, LossNormalizer::of(in.mask, 3)).clipped_tokens, 2.0);
}

TEST(PolicyLossTest, CispoClipsTheWeightButKeepsEveryGradient) {
    // ratio e^0.5 = 1.6487 is cut to 1.2; the token still gets gradient -A * 1.2 (the weight is a
    // constant), unlike PPO's clip, which would zero it.
    PolicyLossConfig c;
    c.name = "cispo";
    PolicyLossInput in;
    in.logprobs = torch::tensor({{-0.5f}}).requires_grad_(true);
    in.old_logprobs = torch::tensor({{-1.0f}});
    in.advantages = torch::tensor({1.0f});
    in.mask = torch::ones({1, 1}, torch::kBool);
    auto out = policy_loss(c, in, LossNormalizer::of(in.mask, 1));
    EXPECT_NEAR(out.loss.item<float>(), -1.2 * -0.5, 1e-5);
    out.loss.backward();
    EXPECT_NEAR(in.logprobs.grad()[0][0].item<float>(), -1.2, 1e-5);
    EXPECT_DOUBLE_EQ(out.clipped_tokens, 1.0);
}

TEST(PolicyLossTest, AtRatioOneEveryLossHasTheReinforceGradient) {
    torch::manual_seed(3);
    auto logprobs = torch::randn({4, 6}) - 1.5;
    auto mask = torch::rand({4, 6}) > 0.25;
    mask.select(1, 0).fill_(true);
    auto advantages = torch::randn({4});
    auto grad_of = [&](const std::string& name) {
        PolicyLossConfig c;
        c.name = name;
        PolicyLossInput in;
        in.logprobs = logprobs.clone().requires_grad_(true);
        in.old_logprobs = logprobs.clone();
        in.advantages = advantages;
        in.mask = mask;
        policy_loss(c, in, LossNormalizer::of(mask, 6)).loss.backward();
        return in.logprobs.grad();
    };
    auto want = grad_of("reinforce");
    for (const auto& name : policy_loss_names()) {
        EXPECT_LT((grad_of(name) - want).abs().max().item<double>(), 1e-6) << name;
    }
}

TEST(PolicyLossTest, PaddingLengthChangesNothing) {
    torch::manual_seed(4);
    for (const auto& name : policy_loss_names())
    for (const auto& agg : aggregation_names()) {
        if (agg == "seq_mean_token_sum_norm") continue;  // divides by the configured max length, not the padding
        PolicyLossConfig c;
        c.name = name;
        c.aggregation = agg;
        c.kl_coef = 0.05;
        PolicyLossInput in;
        in.logprobs = torch::randn({3, 4}) - 1;
        in.old_logprobs = in.logprobs + 0.1 * torch::randn({3, 4});
        in.ref_logprobs = in.logprobs + 0.1 * torch::randn({3, 4});
        in.advantages = torch::randn({3});
        in.mask = torch::tensor({{1, 1, 1, 1}, {1, 1, 0, 0}, {1, 0, 0, 0}}).to(torch::kBool);
        auto pad = [](const torch::Tensor& t, double value) {
            return torch::cat({t, torch::full({t.size(0), 5}, value, t.options())}, 1);
        };
        PolicyLossInput wide = in;
        wide.logprobs = pad(in.logprobs, -3);
        wide.old_logprobs = pad(in.old_logprobs, 7);
        wide.ref_logprobs = pad(in.ref_logprobs, -9);
        wide.mask = pad(in.mask, 0).to(torch::kBool);
        auto a = policy_loss(c, in, LossNormalizer::of(in.mask, 9)).loss.item<double>();
        auto b = policy_loss(c, wide, LossNormalizer::of(wide.mask, 9)).loss.item<double>();
        EXPECT_NEAR(a, b, 1e-6) << name << " " << agg;
    }
}

TEST(AggregationTest, HandComputedValues) {
    auto per_token = torch::tensor({{1.0f, 2.0f, 3.0f}, {4.0f, 0.0f, 0.0f}});
    auto mask = torch::tensor({{1, 1, 1}, {1, 0, 0}}).to(torch::kBool);
    auto norm = LossNormalizer::of(mask, 6);
    EXPECT_NEAR(aggregate("token_mean", per_token, mask, norm).item<float>(), 10.0 / 4, 1e-6);
    EXPECT_NEAR(aggregate("seq_mean_token_mean", per_token, mask, norm).item<float>(), (2.0 + 4.0) / 2, 1e-6);
    EXPECT_NEAR(aggregate("seq_mean_token_sum", per_token, mask, norm).item<float>(), (6.0 + 4.0) / 2, 1e-6);
    EXPECT_NEAR(aggregate("seq_mean_token_sum_norm", per_token, mask, norm).item<float>(), 10.0 / (2 * 6), 1e-6);
    EXPECT_THROW(aggregate("sum", per_token, mask, norm), ConfigError);
}

TEST(AggregationTest, MicroBatchesWithTheBatchNormalizerSumToTheWholeBatchLoss) {
    torch::manual_seed(1);
    auto per_token = torch::randn({6, 4});
    auto mask = torch::rand({6, 4}) > 0.3;
    mask.select(1, 0).fill_(true);
    auto norm = LossNormalizer::of(mask, 4);
    for (const auto& agg : aggregation_names()) {
        auto whole = aggregate(agg, per_token, mask, norm);
        auto parts = aggregate(agg, per_token.narrow(0, 0, 2), mask.narrow(0, 0, 2), norm) +
                     aggregate(agg, per_token.narrow(0, 2, 4), mask.narrow(0, 2, 4), norm);
        EXPECT_NEAR(whole.item<float>(), parts.item<float>(), 1e-6) << agg;
    }
}

TEST(KlTest, K3IsZeroAtEqualityAndPositiveElsewhere) {
    auto lp = torch::tensor({-1.0f, -2.0f});
    EXPECT_TRUE(torch::allclose(k3_kl(lp, lp), torch::zeros({2})));
    // ref - logp = 0.5: e^0.5 - 0.5 - 1 = 0.148721
    EXPECT_NEAR(k3_kl(torch::tensor({-1.0f}), torch::tensor({-0.5f}))[0].item<float>(), 0.148721, 1e-5);
}

TEST(KlTest, EveryEstimatorByHand) {
    // logp = -1, ref = -0.5: d = ref - logp = 0.5.
    auto lp = torch::tensor({-1.0f}), ref = torch::tensor({-0.5f});
    EXPECT_NEAR(kl_estimate("k1", lp, ref)[0].item<float>(), -0.5, 1e-6);
    EXPECT_NEAR(kl_estimate("k2", lp, ref)[0].item<float>(), 0.125, 1e-6);
    EXPECT_NEAR(kl_estimate("k3", lp, ref)[0].item<float>(), 0.148721, 1e-5);
    EXPECT_THROW(kl_estimate("k4", lp, ref), ConfigError);
}

TEST(KlTest, RewardPenaltySumsTheEstimateOverEachCompletion) {
    // Row 0: d = ref - logp = (0.5, -0.5) over two tokens; k1 = -d sums to 0, k2 = d^2/2 to 0.25.
    // Row 1: one token of d = 1 (the second is padding): k2 = 0.5. kl_coef 0.1 scales both.
    PolicyLossConfig c;
    c.kl_coef = 0.1;
    c.kl_estimator = "k2";
    auto lp = torch::tensor({{-1.0f, -1.0f}, {-2.0f, -9.0f}});
    auto ref = torch::tensor({{-0.5f, -1.5f}, {-1.0f, 0.0f}});
    auto mask = torch::tensor({{true, true}, {true, false}});
    auto p = kl_reward_penalty(c, lp, ref, mask);
    EXPECT_NEAR(p[0].item<float>(), 0.025, 1e-6);
    EXPECT_NEAR(p[1].item<float>(), 0.05, 1e-6);
    c.kl_estimator = "k1";
    EXPECT_NEAR(kl_reward_penalty(c, lp, ref, mask)[0].item<float>(), 0.0, 1e-6);
}

TEST(EntropyBonusTest, SubtractsTheAggregatedEntropyWithItsGradient) {
    // reinforce with A = 0 leaves only the bonus. Row 0: entropies (1, 2); row 1: (3, pad).
    // token_mean: (1 + 2 + 3) / 3 = 2; seq_mean_token_mean: (1.5 + 3) / 2 = 2.25.
    PolicyLossConfig c;
    c.name = "reinforce";
    c.entropy_coef = 0.1;
    PolicyLossInput in;
    in.logprobs = torch::full({2, 2}, -1.0f).requires_grad_(true);
    in.old_logprobs = in.logprobs.detach();
    in.advantages = torch::zeros({2});
    in.mask = torch::tensor({{true, true}, {true, false}});
    in.entropy = torch::tensor({{1.0f, 2.0f}, {3.0f, 7.0f}}).requires_grad_(true);
    auto norm = LossNormalizer::of(in.mask, 2);
    auto out = policy_loss(c, in, norm);
    EXPECT_NEAR(out.loss.item<float>(), -0.1 * 2.0, 1e-6);
    EXPECT_DOUBLE_EQ(out.entropy_sum, 6.0);
    out.loss.backward();
    EXPECT_NEAR(in.entropy.grad()[0][0].item<float>(), -0.1 / 3, 1e-7);
    EXPECT_EQ(in.entropy.grad()[1][1].item<float>(), 0.0f);
    c.aggregation = "seq_mean_token_mean";
    EXPECT_NEAR(policy_loss(c, in, norm).loss.item<float>(), -0.1 * 2.25, 1e-6);
    c.entropy_aggregation = "token_mean";  // TRL's choice whatever the loss aggregation
    EXPECT_NEAR(policy_loss(c, in, norm).loss.item<float>(), -0.1 * 2.0, 1e-6);
}

TEST(RolloutCorrectionTest, WeightsByHandForEveryMode) {
    // Row 0: old - rollout = (0.5, -0.1, pad); row 1: (1.2, 0.3, 0.2). Bounds [0.95, 2].
    auto rollout = torch::zeros({2, 3});
    auto old = torch::tensor({{0.5f, -0.1f, 9.0f}, {1.2f, 0.3f, 0.2f}});
    auto mask = torch::tensor({{true, true, false}, {true, true, true}});
    TisConfig c;
    c.min = 0.95;
    c.max = 2.0;
    auto w = [&](const std::string& mode) {
        c.mode = mode;
        return rollout_is_weights(c, old, rollout, mask);
    };
    const float e05 = std::exp(0.5f), e03 = std::exp(0.3f), e02 = std::exp(0.2f);
    auto tt = w("token_truncate");
    EXPECT_NEAR(tt[0][0].item<float>(), e05, 1e-6);
    EXPECT_NEAR(tt[0][1].item<float>(), 0.95, 1e-6);  // e^-0.1 = 0.905 raised to the lower bound
    EXPECT_NEAR(tt[1][0].item<float>(), 2.0, 1e-6);   // e^1.2 = 3.32 cut to the cap
    EXPECT_NEAR(tt[1][2].item<float>(), e02, 1e-6);
    EXPECT_NEAR(tt[0][2].item<float>(), 1.0, 1e-6);   // padding: no difference
    auto tm = w("token_mask");
    EXPECT_EQ(tm[1][0].item<float>(), 0.0f);
    EXPECT_NEAR(tm[1][1].item<float>(), e03, 1e-6);
    EXPECT_EQ(tm[0][1].item<float>(), 0.0f);
    EXPECT_NEAR(tm[0][0].item<float>(), e05, 1e-6);
    // Sequences: row 0 exp(0.4) = 1.49 inside; row 1 exp(1.7) = 5.47 outside.
    auto st = w("sequence_truncate");
    EXPECT_NEAR(st[0][2].item<float>(), std::exp(0.4f), 1e-5);
    EXPECT_NEAR(st[1][1].item<float>(), 2.0, 1e-6);
    auto sm = w("sequence_mask");
    EXPECT_NEAR(sm[0][0].item<float>(), std::exp(0.4f), 1e-5);
    EXPECT_EQ(sm[1][2].item<float>(), 0.0f);
}

TEST(RolloutCorrectionTest, WeightsScaleThePolicyTermButNotTheKl) {
    PolicyLossConfig c;
    c.name = "reinforce";
    c.kl_coef = 0.5;
    c.kl_estimator = "k1";
    PolicyLossInput in;
    in.logprobs = torch::tensor({{-1.0f, -2.0f}}).requires_grad_(true);
    in.old_logprobs = in.logprobs.detach();
    in.ref_logprobs = torch::tensor({{-1.5f, -2.5f}});
    in.advantages = torch::tensor({2.0f});
    in.mask = torch::tensor({{true, true}});
    in.is_weights = torch::tensor({{0.5f, 2.0f}});
    // per token: -A * logp * w + 0.5 * (logp - ref) = (1 + 0.25, 8 + 0.25); token_mean = 9.5 / 2.
    auto out = policy_loss(c, in, LossNormalizer::of(in.mask, 2));
    EXPECT_NEAR(out.loss.item<float>(), 9.5 / 2, 1e-5);
    out.loss.backward();
    EXPECT_NEAR(in.logprobs.grad()[0][0].item<float>(), (-2.0 * 0.5 + 0.5) / 2, 1e-6);
}

TEST(PolicyLossConfigTest, RejectsUnknownNamesAndRanges) {
    const std::vector<std::function<void(PolicyLossConfig&)>> bad = {
        [](PolicyLossConfig& c) { c.aggregation = "tokenmean"; },
        [](PolicyLossConfig& c) { c.clip_low = 1.5; },
        [](PolicyLossConfig& c) { c.kl_estimator = "low_var"; },
        [](PolicyLossConfig& c) { c.clip_ratio_c = 0.5; },
        [](PolicyLossConfig& c) { c.name = "ppo"; },
        [](PolicyLossConfig& c) { c.entropy_coef = -0.1; },
        [](PolicyLossConfig& c) { c.entropy_aggregation = "mean"; },
        [](PolicyLossConfig& c) { c.tis.mode = "token"; },
        [](PolicyLossConfig& c) { c.tis.max = 0.5, c.tis.min = 0.5; },
        [](PolicyLossConfig& c) { c.tis.min = -1; },
    };
    for (size_t i = 0; i < bad.size(); ++i) {
        PolicyLossConfig c;
        bad[i](c);
        EXPECT_THROW(c.validate("rl.loss"), ConfigError) << "case " << i;
    }
    PolicyLossConfig c;
    c.name = "gspo";
    c.validate("rl.loss");
}

}  // namespace
}  // namespace aha::rl
