// The clipped policy loss against hand-computed values; masked tokens contribute nothing; aggregations.
#include "rl/losses.h"

#include <gtest/gtest.h>

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
}

TEST(PolicyLossTest, MaskedTokensContributeNoGradient) {
    torch::manual_seed(0);
    for (const auto& agg : aggregation_names()) {
        PolicyLossConfig c;
        c.aggregation = agg;
        c.kl_coef = 0.1;
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
        EXPECT_TRUE(torch::equal(grad.masked_select(in.mask.logical_not()), torch::zeros({6}))) << agg;
        EXPECT_TRUE((grad.masked_select(in.mask) != 0).all().item<bool>()) << agg;
        PolicyLossInput poisoned = in;
        poisoned.old_logprobs = in.old_logprobs.masked_fill(in.mask.logical_not(), 50.0);
        auto again = policy_loss(c, poisoned, LossNormalizer::of(in.mask, 5)).loss;
        EXPECT_NEAR(again.item<float>(), base.item<float>(), 1e-6) << agg;
    }
}

TEST(AggregationTest, HandComputedValues) {
    auto per_token = torch::tensor({{1.0f, 2.0f, 3.0f}, {4.0f, 0.0f, 0.0f}});
    auto mask = torch::tensor({{1, 1, 1}, {1, 0, 0}}).to(torch::kBool);
    auto norm = LossNormalizer::of(mask, 6);
    EXPECT_NEAR(aggregate("token_mean", per_token, mask, norm).item<float>(), 10.0 / 4, 1e-6);
    EXPECT_NEAR(aggregate("seq_mean_token_mean", per_token, mask, norm).item<float>(), (2.0 + 4.0) / 2, 1e-6);
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

TEST(PolicyLossConfigTest, RejectsUnknownNamesAndRanges) {
    PolicyLossConfig c;
    c.aggregation = "tokenmean";
    EXPECT_THROW(c.validate("rl.loss"), ConfigError);
    c = PolicyLossConfig{};
    c.clip_low = 1.5;
    EXPECT_THROW(c.validate("rl.loss"), ConfigError);
}

}  // namespace
}  // namespace aha::rl
