// Sampling: greedy equals argmax of a full forward, stopping at the end token, seeded determinism, and
// recorded log-probs equal to the model's own.
#include "rollout/sampler.h"

#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

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

}  // namespace
}  // namespace aha::rollout
