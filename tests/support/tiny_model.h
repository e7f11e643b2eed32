// Shared by the torch tests: a tiny transformer config (2 layers, width 32, grouped-query attention) that
// runs in milliseconds.
#pragma once

#include "policy/transformer.h"

namespace aha::testing {

inline policy::TransformerConfig tiny_transformer_config(int vocab_size, int num_kv_heads = 2) {
    policy::TransformerConfig c;
    c.vocab_size = vocab_size;
    c.hidden_size = 32;
    c.num_layers = 2;
    c.num_heads = 4;
    c.num_kv_heads = num_kv_heads;
    c.intermediate_size = 64;
    c.max_position = 64;
    return c;
}

inline policy::CausalLM tiny_model(int vocab_size, int num_kv_heads = 2, uint64_t seed = 0) {
    torch::manual_seed(seed);
    return policy::CausalLM(tiny_transformer_config(vocab_size, num_kv_heads));
}

// A tiny DeepSeek-V3-style MoE (multi-head latent attention, 8 routed experts in 2 groups, a shared expert,
// the sigmoid router with its correction bias, one dense layer first), fp32, seeded with 0.
inline policy::CausalLM tiny_deepseek_v3_moe(int vocab_size) {
    Json arch = Json::parse(R"({"model_type": "deepseek_v3", "hidden_size": 32, "intermediate_size": 64,
      "moe_intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4, "n_shared_experts": 1,
      "n_routed_experts": 8, "num_experts_per_tok": 2, "n_group": 2, "topk_group": 1, "first_k_dense_replace": 1,
      "kv_lora_rank": 16, "q_lora_rank": 0, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 8,
      "max_position_embeddings": 64})");
    arch["vocab_size"] = vocab_size;
    torch::manual_seed(0);
    return policy::CausalLM(policy::TransformerConfig::from_hf_json(arch, "test"));
}

}  // namespace aha::testing
