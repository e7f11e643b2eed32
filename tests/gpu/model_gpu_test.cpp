// GPU parity (label gpu): the same model on CUDA and on CPU. aha has no custom CUDA kernels; these tests check
// that every op path (SDPA, MLA, grouped-GEMM MoE dispatch, KV cache) runs on the device and agrees with
// the CPU reference. Skipped, with a message, on machines without a CUDA device.
#include <gtest/gtest.h>

#include <torch/cuda.h>

#include <string>

#include "policy/transformer.h"

namespace aha::policy {
namespace {

TransformerConfig config_of(const char* text) { return TransformerConfig::from_hf_json(Json::parse(text), "test"); }

const char* kQwen2 = R"({"model_type": "qwen2", "vocab_size": 96, "hidden_size": 64, "intermediate_size": 128,
  "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": true})";
const char* kDeepseekV3 = R"({"model_type": "deepseek_v3", "vocab_size": 96, "hidden_size": 64,
  "intermediate_size": 128, "moe_intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
  "n_shared_experts": 1, "n_routed_experts": 8, "num_experts_per_tok": 2, "n_group": 2, "topk_group": 1,
  "first_k_dense_replace": 1, "kv_lora_rank": 32, "q_lora_rank": 32, "qk_rope_head_dim": 16, "qk_nope_head_dim": 16,
  "v_head_dim": 16})";

#define SKIP_WITHOUT_CUDA() \
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine; GPU parity not run"

struct Batch {
    torch::Tensor ids, valid, positions;
};

Batch batch() {
    torch::manual_seed(2);
    auto ids = torch::randint(0, 96, {3, 12}, torch::kLong);
    auto valid = torch::ones({3, 12}, torch::kBool);
    valid.index_put_({1, torch::indexing::Slice(0, 5)}, false);
    return {ids, valid, positions_from_mask(valid)};
}

class GpuParity : public ::testing::TestWithParam<std::string> {};

TransformerConfig model_config(const std::string& name) { return config_of(name == "qwen2" ? kQwen2 : kDeepseekV3); }

TEST_P(GpuParity, Fp32LogitsAndIncrementalDecodingMatchCpu) {
    SKIP_WITHOUT_CUDA();
    torch::manual_seed(1);
    CausalLM cpu(model_config(GetParam()));
    auto gpu = std::dynamic_pointer_cast<CausalLMImpl>(cpu->clone(torch::kCUDA));
    const Batch b = batch();
    torch::NoGradGuard no_grad;
    auto want = cpu->forward(b.ids, b.positions, b.valid);
    auto got = gpu->forward(b.ids.cuda(), b.positions.cuda(), b.valid.cuda()).cpu();
    auto diff = (got - want).abs().amax(-1).masked_select(b.valid).max().item<double>();
    EXPECT_LT(diff, 1e-4);
    auto cache = KVCache::allocate(gpu->config(), 3, 12, torch::TensorOptions().device(torch::kCUDA));
    std::vector<torch::Tensor> steps;
    steps.push_back(gpu->forward(b.ids.narrow(1, 0, 6).cuda(), b.positions.narrow(1, 0, 6).cuda(), b.valid.narrow(1, 0, 6).cuda(), &cache));
    for (int64_t t = 6; t < 12; ++t) {
        steps.push_back(gpu->forward(b.ids.narrow(1, t, 1).cuda(), b.positions.narrow(1, t, 1).cuda(), b.valid.narrow(1, t, 1).cuda(), &cache));
    }
    auto incremental = (torch::cat(steps, 1).cpu() - want).abs().amax(-1).masked_select(b.valid).max().item<double>();
    EXPECT_LT(incremental, 1e-4);
}

// bf16 on the GPU (the grouped-GEMM MoE path) against fp32 on the CPU; the tolerance is the bf16 one of the
// transformers parity test. The backward runs and gives finite gradients.
TEST_P(GpuParity, Bf16ForwardAndBackwardRun) {
    SKIP_WITHOUT_CUDA();
    torch::manual_seed(1);
    CausalLM cpu(model_config(GetParam()));
    auto gpu = std::dynamic_pointer_cast<CausalLMImpl>(cpu->clone(torch::kCUDA));
    gpu->to(torch::kBFloat16);
    const Batch b = batch();
    auto logits = gpu->forward(b.ids.cuda(), b.positions.cuda(), b.valid.cuda());
    {
        torch::NoGradGuard no_grad;
        auto want = cpu->forward(b.ids, b.positions, b.valid);
        auto diff = (logits.detach().cpu().to(torch::kFloat32) - want).abs().amax(-1).masked_select(b.valid).max().item<double>();
        EXPECT_LT(diff, 0.05);
    }
    logits.to(torch::kFloat32).logsumexp(-1).sum().backward();
    for (const auto& p : gpu->named_parameters()) {
        if (!p.value().grad().defined()) continue;
        EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
    }
}

INSTANTIATE_TEST_SUITE_P(Models, GpuParity, ::testing::Values("qwen2", "deepseek_v3"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace aha::policy
