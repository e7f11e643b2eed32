// Sampling: greedy equals argmax of a full forward, stopping at the end token, seeded determinism, and
// recorded log-probs equal to the model's own.
#include "rollout/sampler.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "tests/support/tiny_model.h"

namespace aha::rollout {
namespace {

policy::CausalLM tiny_model() { return testing::tiny_model(11, /*num_kv_heads=*/1); }

constexpr int kPad = 0, kEos = 2;

TEST(SamplerTest, GreedyEqualsArgmaxOfFullForward) {
    auto model = tiny_model();
    SamplingParams p;
    p.temperature = 0.0;
    p.max_new_tokens = 8;
    std::vector<std::vector<int>> prompts = {{1, 5, 6, 7}, {1, 9}};
    Rollout r = generate(model, prompts, p, /*eos_id=*/-1, kPad);
    ASSERT_EQ(r.completion_ids.size(1), 8);
    torch::NoGradGuard no_grad;
    for (int i = 0; i < 2; ++i) {
        std::vector<int64_t> seq(prompts[i].begin(), prompts[i].end());
        for (int t = 0; t < 8; ++t) {
            auto ids = torch::tensor(seq).unsqueeze(0);
            auto logits = model->forward(ids, torch::arange(ids.size(1)).unsqueeze(0), torch::ones_like(ids, torch::kBool));
            int64_t best = logits[0][-1].argmax().item<int64_t>();
            EXPECT_EQ(r.completion_ids[i][t].item<int64_t>(), best) << "row " << i << " step " << t;
            seq.push_back(best);
        }
    }
}

TEST(SamplerTest, RecordedLogprobsMatchTheModel) {
    auto model = tiny_model();
    SamplingParams p;
    p.temperature = 0.7;
    p.max_new_tokens = 6;
    Rollout r = generate(model, {{1, 3, 4}}, p, -1, kPad);
    torch::NoGradGuard no_grad;
    auto ids = torch::cat({torch::tensor({1, 3, 4}, torch::kLong), r.completion_ids[0]}).unsqueeze(0);
    auto logits = model->forward(ids, torch::arange(ids.size(1)).unsqueeze(0), torch::ones_like(ids, torch::kBool));
    auto lp = (logits[0].narrow(0, 2, 6) / 0.7).log_softmax(-1).gather(-1, r.completion_ids[0].unsqueeze(-1)).squeeze(-1);
    EXPECT_TRUE(torch::allclose(lp, r.logprobs[0], 1e-4, 1e-5));
}

TEST(SamplerTest, RowsStopAtTheEndTokenAndAreMasked) {
    auto model = tiny_model();
    SamplingParams p;
    p.max_new_tokens = 20;
    p.seed = 3;
    std::vector<std::vector<int>> prompts(32, std::vector<int>{1, 4});
    Rollout r = generate(model, prompts, p, kEos, kPad);
    int stopped = 0;
    for (int64_t i = 0; i < r.size(); ++i) {
        std::vector<int> c = r.completion(i);
        ASSERT_FALSE(c.empty());
        for (size_t t = 0; t + 1 < c.size(); ++t) EXPECT_NE(c[t], kEos);
        if (c.back() == kEos) ++stopped;
        int64_t n = static_cast<int64_t>(c.size());
        if (n < r.completion_ids.size(1)) {
            EXPECT_FALSE(r.completion_valid[i][n].item<bool>());
            EXPECT_EQ(r.logprobs[i][n].item<float>(), 0.0f);
        }
    }
    EXPECT_GT(stopped, 0);
}

TEST(SamplerTest, SameSeedSameSamplesDifferentSeedDifferent) {
    auto model = tiny_model();
    SamplingParams p;
    p.max_new_tokens = 10;
    std::vector<std::vector<int>> prompts(8, std::vector<int>{1, 4});
    p.seed = 5;
    auto a = generate(model, prompts, p, -1, kPad), b = generate(model, prompts, p, -1, kPad);
    p.seed = 6;
    auto c = generate(model, prompts, p, -1, kPad);
    EXPECT_TRUE(torch::equal(a.completion_ids, b.completion_ids));
    EXPECT_FALSE(torch::equal(a.completion_ids, c.completion_ids));
}

TEST(SamplerTest, TopKOneIsGreedy) {
    torch::manual_seed(1);
    auto logits = torch::randn({4, 11});
    SamplingParams p;
    p.top_k = 1;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    EXPECT_TRUE(torch::equal(sample_next(logits, p, gen), logits.argmax(-1)));
    p.top_k = 0;
    p.top_p = 1e-6;
    EXPECT_TRUE(torch::equal(sample_next(logits, p, gen), logits.argmax(-1)));
}

TEST(SamplingParamsTest, ConflictsAndRangesAreRejected) {
    SamplingParams p;
    p.temperature = 0.0;
    p.top_k = 5;
    EXPECT_THROW(p.validate("sampling"), ConfigError);
    p = SamplingParams{};
    p.top_p = 0.0;
    EXPECT_THROW(p.validate("sampling"), ConfigError);
}

// Empirical frequencies of 40,000 draws against the chain's target distribution (Pearson chi-square, fixed
// seed), plus: a token the stage removes is never drawn. Checks both samplers: the generator-driven one and
// the engine's counter-based streams (one stream per draw, as the n samples of a request).
void expect_samples_follow(const SamplingParams& p, const torch::Tensor& logits_row, const std::vector<double>& target) {
    const int64_t draws = 40000, V = logits_row.size(0);
    auto logits = logits_row.unsqueeze(0).expand({draws, V}).contiguous();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(1234);
    std::vector<double> u(static_cast<size_t>(draws));
    for (int64_t i = 0; i < draws; ++i) u[static_cast<size_t>(i)] = stream_uniform(99, static_cast<uint64_t>(i), 3);
    for (const auto& ids : {sample_next(logits, p, gen), sample_with_uniforms(logits, p, torch::tensor(u, torch::kFloat64))}) {
    auto counts = torch::bincount(ids, {}, V).to(torch::kDouble);
    auto dist = sampling_distribution(logits_row.unsqueeze(0), p)[0].to(torch::kDouble);
    double chi2 = 0;
    int df = -1;
    for (int64_t v = 0; v < V; ++v) {
        EXPECT_NEAR(dist[v].item<double>(), target[v], 1e-5) << "token " << v;
        if (target[v] == 0) {
            EXPECT_EQ(counts[v].item<double>(), 0) << "token " << v << " was filtered out but drawn";
            continue;
        }
        const double expected = target[v] * draws;
        chi2 += std::pow(counts[v].item<double>() - expected, 2) / expected;
        ++df;
    }
    // 0.1% critical values of chi-square for 1..5 degrees of freedom.
    const double critical[] = {0, 10.83, 13.82, 16.27, 18.47, 20.52};
    ASSERT_GE(df, 1);
    EXPECT_LT(chi2, critical[df]) << "chi-square " << chi2 << " with " << df << " degrees of freedom";
    }
}

std::vector<double> softmax_of(const std::vector<double>& logits, double temperature, const std::vector<bool>& keep) {
    std::vector<double> out(logits.size(), 0.0);
    double z = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
        if (keep[i]) z += std::exp(logits[i] / temperature);
    }
    for (size_t i = 0; i < logits.size(); ++i) out[i] = keep[i] ? std::exp(logits[i] / temperature) / z : 0.0;
    return out;
}

TEST(SamplerChainTest, EveryStageSamplesItsTargetDistribution) {
    const std::vector<double> raw = {2.0, 1.5, 1.0, 0.2, -0.5, -1.0};
    auto logits = torch::tensor(raw, torch::kFloat32);
    const std::vector<bool> all(6, true);
    SamplingParams p;
    p.temperature = 0.7;
    expect_samples_follow(p, logits, softmax_of(raw, 0.7, all));
    p = SamplingParams();
    p.top_k = 3;
    expect_samples_follow(p, logits, softmax_of(raw, 1.0, {true, true, true, false, false, false}));
    // Probabilities at T=1: 0.440, 0.267, 0.162, 0.073, 0.036, 0.022; top-p 0.8 keeps the first three
    // (0.440 + 0.267 < 0.8 <= 0.869).
    p = SamplingParams();
    p.top_p = 0.8;
    expect_samples_follow(p, logits, softmax_of(raw, 1.0, {true, true, true, false, false, false}));
    // min-p 0.15 keeps p >= 0.15 * 0.440 = 0.066: the first four.
    p = SamplingParams();
    p.min_p = 0.15;
    expect_samples_follow(p, logits, softmax_of(raw, 1.0, {true, true, true, true, false, false}));
    // Chained: temperature 2 flattens to (0.303, 0.236, 0.184, 0.123, 0.087, 0.068); top-k 5 drops the last
    // and renormalises (0.325, 0.253, 0.197, 0.132, 0.093); min-p 0.35 keeps p >= 0.114: the first four.
    p = SamplingParams();
    p.temperature = 2.0;
    p.top_k = 5;
    p.min_p = 0.35;
    expect_samples_follow(p, logits, softmax_of(raw, 2.0, {true, true, true, true, false, false}));
}

TEST(SamplerChainTest, LogprobsAreTheUnfilteredTemperatureDistributionsExactly) {
    // With top-p and min-p on, the recorded log-prob is still log softmax(logits / T) of the chosen token,
    // which is what the trainer's teacher-forced forward recomputes.
    auto model = tiny_model();
    SamplingParams p;
    p.temperature = 0.7;
    p.top_p = 0.9;
    p.min_p = 0.05;
    p.max_new_tokens = 8;
    p.seed = 5;
    std::vector<int> prompt = {1, 3, 4, 7};
    Rollout r = generate(model, {prompt, prompt}, p, -1, kPad);
    torch::NoGradGuard no_grad;
    for (int64_t i = 0; i < 2; ++i) {
        auto ids = torch::cat({torch::tensor(std::vector<int64_t>(prompt.begin(), prompt.end())), r.completion_ids[i]}).unsqueeze(0);
        auto logits = model->forward(ids, torch::arange(ids.size(1)).unsqueeze(0), torch::ones_like(ids, torch::kBool));
        auto lp = (logits[0].narrow(0, 3, 8) / 0.7).log_softmax(-1).gather(-1, r.completion_ids[i].unsqueeze(-1)).squeeze(-1);
        EXPECT_LE((lp - r.logprobs[i]).abs().max().item<double>(), 1e-5) << "row " << i;
    }
}

TEST(SamplerChainTest, FusedKernelEqualsTheCumulativeSearchOnALargeVocabulary) {
    // 3001 tokens: the fused kernel's walk crosses many 256-token block sums and a partial last block.
    torch::manual_seed(11);
    auto logits = (torch::randn({64, 3001}) * 3).to(torch::kFloat32);
    auto u = torch::rand({64}, torch::kFloat64);
    for (double temperature : {0.0, 0.8, 1.0}) {
        SamplingParams p;
        p.temperature = temperature;
        auto [tokens, logprobs] = sample_with_logprobs(logits, p, u);
        // float64 logits take the tensor path: softmax, cumulative sum, search.
        auto wide = logits.to(torch::kFloat64);
        auto want = sample_with_uniforms(wide, p, u);
        EXPECT_TRUE(tokens.equal(want)) << "temperature " << temperature;
        auto want_lp = chosen_logprobs(wide, p, want).to(torch::kFloat64);
        EXPECT_LT((logprobs.to(torch::kFloat64) - want_lp).abs().max().item<double>(), 1e-5)
            << "temperature " << temperature;
    }
}

}  // namespace
}  // namespace aha::rollout
