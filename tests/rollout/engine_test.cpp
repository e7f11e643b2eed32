// The rollout engine: greedy equal to the contiguous-cache sampler, log-probs equal to a
// teacher-forced forward, completions independent of batching, chunking and preemption, prefix
// sharing's memory, stop strings that span tokens, and clear errors for requests that cannot run.
#include "rollout/engine.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "tests/support/error_text.h"
#include "tests/support/tiny_model.h"

namespace aha::rollout {
namespace {

constexpr int kVocab = 23;

policy::CausalLM dense_model() {
    return testing::tiny_model(kVocab, /*num_kv_heads=*/2, /*seed=*/4);
}

policy::CausalLM mla_moe_model() {
    torch::manual_seed(5);
    policy::CausalLM m(policy::TransformerConfig::from_hf_json(
        Json::parse(
            R"({"model_type": "deepseek_v3", "vocab_size": 23, "hidden_size": 32, "intermediate_size": 48,
          "moe_intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4, "n_shared_experts": 1,
          "n_routed_experts": 8, "num_experts_per_tok": 2, "n_group": 2, "topk_group": 1, "first_k_dense_replace": 1,
          "kv_lora_rank": 16, "q_lora_rank": 12, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 12,
          "max_position_embeddings": 96})"),
        "test"));
    torch::NoGradGuard no_grad;
    for (auto& p : m->parameters()) p.normal_(0.0, 0.3);
    return m;
}

const std::vector<std::vector<int>> kPrompts = {
    {1, 5, 9}, {2, 2, 7, 11, 13, 4, 6, 8, 3}, {17}, {3, 1, 4, 1, 5, 9}};

std::vector<Request> requests(const SamplingParams& p) {
    std::vector<Request> out;
    for (size_t i = 0; i < kPrompts.size(); ++i) {
        SamplingParams q = p;
        q.seed = p.seed + static_cast<int64_t>(i);
        out.push_back({kPrompts[i], q});
    }
    return out;
}

EngineConfig small_blocks() {
    EngineConfig c;
    c.block_size = 4;
    c.num_blocks = 256;
    return c;
}

TEST(EngineTest, GreedyEqualsTheContiguousCacheSampler) {
    for (auto model : {dense_model(), mla_moe_model()}) {
        SamplingParams p;
        p.temperature = 0.0;
        p.max_new_tokens = 12;
        Engine engine(model, small_blocks(), {});
        auto got = engine.run(requests(p));
        Rollout want = generate(model, kPrompts, p, std::vector<int>{}, 0);
        ASSERT_EQ(got.size(), kPrompts.size());
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].token_ids, want.completion(static_cast<int64_t>(i))) << "prompt " << i;
            EXPECT_EQ(got[i].finish_reason, "length");
        }
    }
}

// log softmax(logits / T) of each completion token under one full forward pass over prompt +
// completion.
void expect_logprobs_are_teacher_forced(policy::CausalLM& model,
                                        const std::vector<int>& prompt,
                                        const Completion& c,
                                        double temperature) {
    torch::NoGradGuard no_grad;
    std::vector<int64_t> all(prompt.begin(), prompt.end());
    all.insert(all.end(), c.token_ids.begin(), c.token_ids.end());
    auto ids = torch::tensor(all).unsqueeze(0);
    auto logits = model->forward(
        ids, torch::arange(ids.size(1)).unsqueeze(0), torch::ones_like(ids, torch::kBool))[0];
    const int64_t P = static_cast<int64_t>(prompt.size()),
                  C = static_cast<int64_t>(c.token_ids.size());
    auto chosen = torch::tensor(std::vector<int64_t>(c.token_ids.begin(), c.token_ids.end()));
    auto want = (logits.narrow(0, P - 1, C) / temperature)
                    .log_softmax(-1)
                    .gather(-1, chosen.unsqueeze(-1))
                    .squeeze(-1);
    ASSERT_EQ(c.logprobs.size(), c.token_ids.size());
    EXPECT_LE((want - torch::tensor(c.logprobs)).abs().max().item<double>(), 1e-5);
}

TEST(EngineTest, LogprobsEqualATeacherForcedForwardWithTemperatureAndTopP) {
    for (auto model : {dense_model(), mla_moe_model()}) {
        SamplingParams p;
        p.n = 3;
        p.temperature = 0.7;
        p.top_p = 0.9;
        p.max_new_tokens = 10;
        p.seed = 11;
        Engine engine(model, small_blocks(), {});
        auto got = engine.run(requests(p));
        ASSERT_EQ(got.size(), kPrompts.size() * 3);
        for (const auto& c : got) {
            SCOPED_TRACE("request " + std::to_string(c.request) + " sample " +
                         std::to_string(c.sample));
            expect_logprobs_are_teacher_forced(
                model, kPrompts[static_cast<size_t>(c.request)], c, 0.7);
        }
    }
}

std::vector<std::vector<int>> token_ids(const std::vector<Completion>& cs) {
    std::vector<std::vector<int>> out;
    for (const auto& c : cs) out.push_back(c.token_ids);
    return out;
}

TEST(EngineTest, CompletionsDoNotDependOnBatchingChunkingOrPreemption) {
    auto model = dense_model();
    SamplingParams p;
    p.n = 4;
    p.temperature = 1.0;
    p.max_new_tokens = 14;
    p.seed = 3;
    const auto reference = Engine(model, small_blocks(), {}).run(requests(p));

    EngineConfig one_at_a_time = small_blocks();
    one_at_a_time.max_num_seqs = 4;  // one group at a time
    EngineConfig chunked = small_blocks();
    chunked.max_num_batched_tokens = 3;  // prompts prefilled over several steps, decodes spread out
    EngineConfig tight = small_blocks();
    tight.num_blocks = 12;  // less than the groups need together: preemption and recompute
    for (const auto& config : {one_at_a_time, chunked, tight}) {
        Engine engine(model, config, {});
        auto got = engine.run(requests(p));
        EXPECT_EQ(token_ids(got), token_ids(reference));
        for (size_t i = 0; i < got.size(); ++i) {
            for (size_t t = 0; t < got[i].logprobs.size(); ++t) {
                EXPECT_NEAR(got[i].logprobs[t], reference[i].logprobs[t], 1e-5);
            }
        }
        if (config.num_blocks == 12) {
            EXPECT_GT(engine.stats().preemptions, 0);
        }
    }
    // Submitted in reverse order: the same completion for the same (prompt, seed).
    auto reversed = requests(p);
    std::reverse(reversed.begin(), reversed.end());
    auto got = Engine(model, small_blocks(), {}).run(reversed);
    for (size_t r = 0; r < kPrompts.size(); ++r) {
        for (int s = 0; s < 4; ++s) {
            EXPECT_EQ(got[(kPrompts.size() - 1 - r) * 4 + s].token_ids,
                      reference[r * 4 + s].token_ids);
        }
    }
    // Another seed gives other completions.
    p.seed = 4;
    EXPECT_NE(token_ids(Engine(model, small_blocks(), {}).run(requests(p))), token_ids(reference));
}

TEST(EngineTest, SamplesOfAPromptShareItsBlocks) {
    // 42 prompt positions = 10 full blocks + a partial one; each of 8 samples generates 8 tokens,
    // of which it writes 7 to the cache (positions 42..48): its own copy of the partial block plus
    // 2 blocks.
    auto model = dense_model();
    SamplingParams p;
    p.n = 8;
    p.max_new_tokens = 8;
    std::vector<int> prompt;
    for (int i = 0; i < 42; ++i) prompt.push_back(1 + i % 20);
    Engine engine(model, small_blocks(), {});
    auto got = engine.run({{prompt, p}});
    ASSERT_EQ(got.size(), 8u);
    EXPECT_EQ(engine.stats().peak_blocks, 10 + 8 * 3);  // unshared: 8 * 13 = 104
    EXPECT_EQ(engine.stats().prefill_tokens, 42);       // the prompt ran once, not 8 times
    EXPECT_EQ(engine.blocks().num_used(), 0);           // everything returned
}

// Token id i reads as the two letters ('a' + i % 26, 'a' + (i * 7) % 26); id 0 is an end token with
// no text.
class LetterStream : public TextStream {
   public:
    std::string push(int id) override {
        if (id == 0) return "";
        return {static_cast<char>('a' + id % 26), static_cast<char>('a' + (id * 7) % 26)};
    }
    std::string finish() override { return ""; }
};

TEST(EngineTest, StopStringsSpanningTokensAreCutExactly) {
    auto model = dense_model();
    TextStreamFactory letters = [] { return std::make_unique<LetterStream>(); };
    SamplingParams p;
    p.max_new_tokens = 12;
    p.seed = 8;
    const std::vector<int> prompt = {4, 9, 2};
    auto free_run = Engine(model, small_blocks(), {}, letters).run({{prompt, p}});
    const std::string text = free_run[0].text;
    ASSERT_EQ(text.size(), 24u);
    // The second letter of token 4 and the first of token 5: a stop string across a token boundary.
    const std::string stop = text.substr(9, 2);
    p.stop = {stop, "not-there"};
    auto stopped = Engine(model, small_blocks(), {}, letters).run({{prompt, p}});
    const size_t at = text.find(stop);
    ASSERT_LE(at, 9u);
    EXPECT_EQ(stopped[0].text, text.substr(0, at));
    EXPECT_EQ(stopped[0].finish_reason, "stop");
    EXPECT_EQ(stopped[0].stop_reason, stop);
    // Tokens up to the one that completed the stop string are kept.
    const size_t kept = (at + stop.size() + 1) / 2;
    EXPECT_EQ(
        stopped[0].token_ids,
        std::vector<int>(free_run[0].token_ids.begin(), free_run[0].token_ids.begin() + kept));
    EXPECT_EQ(stopped[0].logprobs.size(), kept);
}

TEST(EngineTest, EndIdsStopUnlessIgnored) {
    auto model = dense_model();
    SamplingParams p;
    p.max_new_tokens = 16;
    p.temperature = 1.5;
    auto free_run = Engine(model, small_blocks(), {}).run(requests(p));
    // Make the third generated token of the first prompt an end id.
    const int end = free_run[0].token_ids[2];
    auto got = Engine(model, small_blocks(), {end}).run(requests(p));
    const auto first = std::find(free_run[0].token_ids.begin(), free_run[0].token_ids.end(), end);
    EXPECT_EQ(got[0].token_ids, std::vector<int>(free_run[0].token_ids.begin(), first + 1));
    EXPECT_EQ(got[0].finish_reason, "stop");
    EXPECT_EQ(got[0].stop_reason, std::to_string(end));
    p.ignore_eos = true;
    EXPECT_EQ(Engine(model, small_blocks(), {end}).run(requests(p))[0].token_ids,
              free_run[0].token_ids);
    p.stop_token_ids = {end};
    EXPECT_EQ(Engine(model, small_blocks(), {}).run(requests(p))[0].token_ids, got[0].token_ids);
}

TEST(EngineTest, RequestsThatCannotRunAreRejectedWithTheReason) {
    auto model = dense_model();
    EngineConfig c = small_blocks();
    c.num_blocks = 3;
    Engine engine(model, c, {});
    SamplingParams p;
    p.max_new_tokens = 20;
    EXPECT_NE(testing::error_of([&] {
                  engine.add_request({{1, 2}, p});
              }).find("needs 6 KV blocks and the cache has 3"),
              std::string::npos);
    p.max_new_tokens = 2;
    EXPECT_NE(testing::error_of([&] {
                  engine.add_request({{1, 99}, p});
              }).find("request 0.prompt[1]"),
              std::string::npos);
    EXPECT_NE(testing::error_of([&] {
                  engine.add_request({{}, p});
              }).find("expected at least one token id"),
              std::string::npos);
    p.stop = {"x"};
    EXPECT_NE(testing::error_of([&] {
                  engine.add_request({{1}, p});
              }).find("stop strings need the model's tokenizer"),
              std::string::npos);
    p.stop = {};
    p.max_new_tokens = 70;
    EXPECT_NE(testing::error_of([&] {
                  engine.add_request({{1}, p});
              }).find("max_position_embeddings"),
              std::string::npos);
    EXPECT_FALSE(engine.has_unfinished());
    EngineConfig bad;
    bad.block_size = 0;
    EXPECT_NE(testing::error_of([&] { Engine(model, bad, {}); }).find("engine.block_size"),
              std::string::npos);
}

}  // namespace
}  // namespace aha::rollout
