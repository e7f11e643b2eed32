// Parity with Hugging Face transformers for every supported architecture (run by tests/policy/hf_parity.sh,
// which makes the reference models; skipped with a message when run without them).
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/files.h"
#include "policy/checkpoint.h"
#include "tests/support/tiny_model.h"

namespace aha::policy {
namespace {

std::string parity_dir() {
    const char* d = std::getenv("AHA_PARITY_DIR");
    return d ? d : "";
}

constexpr double kFp32Tolerance = 1e-4;
// bf16: every matmul output is rounded to 8 mantissa bits, in a different order on each side, so logits of
// magnitude ~1 differ by a few bf16 ulps (2^-7 = 0.0078 each); the tiny models' logits stay below 2.
constexpr double kBf16Tolerance = 0.05;

// Max |aha - reference| over the real (non-padding) tokens' logits.
double max_logit_diff(const torch::Tensor& logits, const torch::Tensor& reference, const torch::Tensor& valid) {
    return (logits.to(torch::kFloat32) - reference.to(torch::kFloat32)).abs().amax(-1).masked_select(valid).max().item<double>();
}

struct Reference {
    torch::Tensor ids, valid, positions, logits;
};

Reference read_reference(const std::string& dir) {
    TensorMap ref = load_safetensors(dir + "/reference.safetensors");
    return {ref["input_ids"], ref["attention_mask"].to(torch::kBool), ref["position_ids"], ref["logits"]};
}

class HfParity : public ::testing::TestWithParam<std::string> {};

// Loads the architecture, matches transformers' logits, decodes incrementally to the same logits, and
// exports for the round trip that hf_parity.sh checks with transformers.
TEST_P(HfParity, MatchesTransformers) {
    if (parity_dir().empty()) GTEST_SKIP() << "AHA_PARITY_DIR not set; run tests/policy/hf_parity.sh";
    const std::string name = GetParam();
    const std::string dir = parity_dir() + "/" + name;
    CausalLM model = load_model(dir);
    model->eval();
    const Reference ref = read_reference(dir);
    const bool bf16 = ref.logits.scalar_type() == torch::kBFloat16;
    EXPECT_EQ(model->parameters().front().scalar_type(), ref.logits.scalar_type()) << "auto dtype follows the weights";
    const double tol = bf16 ? kBf16Tolerance : kFp32Tolerance;
    torch::NoGradGuard no_grad;

    auto logits = model->forward(ref.ids, ref.positions, ref.valid);
    const double full = max_logit_diff(logits, ref.logits, ref.valid);
    EXPECT_LE(full, tol) << name << ": full forward";

    // Incremental: a 7-token prefill, then one token at a time through the KV cache.
    const int64_t B = ref.ids.size(0), T = ref.ids.size(1), prefill = 7;
    auto cache = KVCache::allocate(model->config(), B, T, torch::TensorOptions().dtype(logits.scalar_type()));
    std::vector<torch::Tensor> steps;
    steps.push_back(model->forward(ref.ids.narrow(1, 0, prefill), ref.positions.narrow(1, 0, prefill),
                                   ref.valid.narrow(1, 0, prefill), &cache));
    for (int64_t t = prefill; t < T; ++t) {
        steps.push_back(model->forward(ref.ids.narrow(1, t, 1), ref.positions.narrow(1, t, 1), ref.valid.narrow(1, t, 1), &cache));
    }
    const double incremental = max_logit_diff(torch::cat(steps, 1), ref.logits, ref.valid);
    EXPECT_LE(incremental, tol) << name << ": incremental decoding";
    std::printf("%s: max |logit diff| full %.2e, incremental %.2e (tolerance %.0e)\n", name.c_str(), full, incremental, tol);

    // The sharded variant is exported sharded too (40 kB shards).
    const bool sharded = name.find("sharded") != std::string::npos;
    export_checkpoint(dir, dir + "/export", "auto", sharded ? 40000 : kDefaultMaxShardBytes);
    EXPECT_EQ(file_exists(dir + "/export/model.safetensors.index.json"), sharded);
    // The export reloads to the same model.
    CausalLM back = load_model(dir + "/export");
    back->eval();
    EXPECT_TRUE(torch::equal(back->forward(ref.ids, ref.positions, ref.valid), logits)) << name;
}

INSTANTIATE_TEST_SUITE_P(HfParityOf,
                         HfParity,
                         ::testing::Values("llama3", "qwen2", "qwen3", "qwen2_moe", "qwen3_moe", "deepseek_v2",
                                           "deepseek_v3", "qwen2_bf16", "llama3_sharded"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// The veRL tiny Llama fixture (bf16 weights written by transformers 4.43), loaded as fp32.
TEST(HfParityFixture, LoadsTheVerlTinyLlama) {
    if (parity_dir().empty()) GTEST_SKIP() << "AHA_PARITY_DIR not set; run tests/policy/hf_parity.sh";
    CausalLM model = load_model(std::string(AHA_SOURCE_DIR) + "/tests/data/models/verl_tiny_llama", "float32");
    model->eval();
    const Reference ref = read_reference(parity_dir() + "/verl_tiny_llama");
    torch::NoGradGuard no_grad;
    EXPECT_LE(max_logit_diff(model->forward(ref.ids, ref.positions, ref.valid), ref.logits, ref.valid), kFp32Tolerance);
}

// aha's own char-level config, saved by aha, for transformers to load (checked by hf_parity.sh).
TEST(HfParityFixture, WritesACheckpointTransformersCanLoad) {
    if (parity_dir().empty()) GTEST_SKIP() << "AHA_PARITY_DIR not set; run tests/policy/hf_parity.sh";
    CausalLM model = testing::tiny_model(50, /*num_kv_heads=*/2, /*seed=*/11);
    {
        torch::NoGradGuard no_grad;
        for (auto& p : model->named_parameters()) {
            if (p.key().find("norm") != std::string::npos) p.value().uniform_(0.5, 1.5);
        }
    }
    const std::string dir = parity_dir() + "/aha_native";
    save_checkpoint(dir + "/export", model, CharTokenizer::for_alphabet("ab"));
    auto ids = torch::randint(0, 50, {2, 9}, torch::kLong);
    auto valid = torch::ones_like(ids, torch::kBool);
    auto positions = torch::arange(9).unsqueeze(0).expand({2, 9}).contiguous();
    torch::NoGradGuard no_grad;
    auto logits = model->forward(ids, positions, valid);
    save_safetensors(dir + "/reference.safetensors",
                     {{"input_ids", ids}, {"attention_mask", valid.to(torch::kLong)}, {"position_ids", positions}, {"logits", logits}});
}

}  // namespace
}  // namespace aha::policy
