// Greedy decoding equals transformers' generate(do_sample=False) token for token on the tiny random models of
// every architecture, through both the contiguous-cache sampler and the paged engine (run by tests/policy/hf_parity.sh, which makes them; skipped with a message otherwise).
#include <gtest/gtest.h>

#include <cstdlib>

#include "policy/checkpoint.h"
#include "rollout/engine.h"
#include "rollout/sampler.h"

namespace aha::rollout {
namespace {

class HfGreedy : public ::testing::TestWithParam<std::string> {};

TEST_P(HfGreedy, MatchesTransformersGenerate) {
    const char* root = std::getenv("AHA_PARITY_DIR");
    if (!root) GTEST_SKIP() << "AHA_PARITY_DIR not set; run tests/policy/hf_parity.sh";
    const std::string dir = std::string(root) + "/" + GetParam();
    policy::CausalLM model = policy::load_model(dir);
    model->eval();
    policy::TensorMap ref = policy::load_safetensors(dir + "/greedy.safetensors");
    std::vector<std::vector<int>> prompts;
    for (int64_t i = 0; i < ref["prompt_ids"].size(0); ++i) {
        auto row = ref["prompt_ids"][i].masked_select(ref["prompt_mask"][i].to(torch::kBool));
        prompts.emplace_back(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel());
    }
    SamplingParams greedy;
    greedy.temperature = 0.0;
    greedy.max_new_tokens = static_cast<int>(ref["tokens"].size(1));
    Rollout out = generate(model, prompts, greedy, /*eos_id=*/-1, /*pad_id=*/0);
    EXPECT_TRUE(torch::equal(out.completion_ids, ref["tokens"])) << GetParam() << "\naha:\n"
                                                                  << out.completion_ids << "\ntransformers:\n"
                                                                  << ref["tokens"];
    // The engine (paged cache, MLA with absorbed weights, prompts packed into one forward pass).
    EngineConfig config;
    config.block_size = 4;
    config.num_blocks = 64;
    std::vector<Request> requests;
    for (const auto& p : prompts) requests.push_back({p, greedy});
    auto completions = Engine(model, config, {}).run(requests);
    for (size_t i = 0; i < completions.size(); ++i) {
        auto want = ref["tokens"][static_cast<int64_t>(i)];
        EXPECT_EQ(completions[i].token_ids, std::vector<int>(want.data_ptr<int64_t>(), want.data_ptr<int64_t>() + want.numel()))
            << GetParam() << " prompt " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(HfGreedyOf,
                         HfGreedy,
                         ::testing::Values("llama3", "qwen2", "qwen3", "qwen2_moe", "qwen3_moe", "deepseek_v2", "deepseek_v3",
                                           "llama3_sharded"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace aha::rollout
