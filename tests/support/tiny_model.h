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

}  // namespace aha::testing
