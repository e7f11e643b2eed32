// Attention: grouped-query attention (Llama/Qwen, optional biases and q/k norm) and Multi-head Latent
// Attention (DeepSeek-V2/V3), with the KV cache both decode through.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "policy/layers.h"
#include "policy/paged_attention.h"

namespace aha::policy {

// Keys and values of every layer for incremental decoding, preallocated to `capacity` positions.
// Standard attention: keys/values [B, Hkv, capacity, D]. MLA caches the compressed latent instead:
// keys [B, capacity, kv_lora_rank] (normalised latent), values [B, capacity, qk_rope_head_dim] (rotated key).
struct KVCache {
    std::vector<torch::Tensor> keys;
    std::vector<torch::Tensor> values;
    torch::Tensor key_valid;  // [B, capacity] bool: the position holds a real (non-pad) token
    int64_t length = 0;       // positions filled so far

    static KVCache allocate(const TransformerConfig& c, int64_t batch, int64_t capacity, torch::TensorOptions o);
    int64_t capacity() const { return key_valid.size(1); }
};

// What a layer needs besides its input: rotary tables, the attention mask and the cache.
struct LayerContext {
    torch::Tensor cos, sin;     // [B, 1, T, rotary_dim]
    torch::Tensor mask;         // [B, 1, T, S] bool (true = attend); undefined = causal (no padding, no cache prefix)
    torch::Tensor token_valid;  // [B, T] bool (MoE load statistics count real tokens only)
    KVCache* cache = nullptr;
    // The rollout engine's packed step instead (B = 1, the T tokens of many sequences; no mask, no cache).
    const PagedBatch* paged = nullptr;
};

class AttentionImpl : public torch::nn::Cloneable<AttentionImpl> {
 public:
    AttentionImpl(const TransformerConfig& c, int layer);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x, const LayerContext& ctx);  // [B, T, C] -> [B, T, C]
    torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
    RMSNorm q_norm{nullptr}, k_norm{nullptr};  // Qwen3 only

 private:
    TransformerConfig c_;
    int layer_;
    torch::Tensor paged_forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const PagedBatch& batch);
};
TORCH_MODULE(Attention);

// Multi-head Latent Attention: keys and values are expanded from a low-rank latent shared by all heads;
// a separate rotary part of the key is shared by all heads too.
class MlaAttentionImpl : public torch::nn::Cloneable<MlaAttentionImpl> {
 public:
    MlaAttentionImpl(const TransformerConfig& c, int layer);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x, const LayerContext& ctx);  // [B, T, C] -> [B, T, C]
    torch::nn::Linear q_proj{nullptr}, q_a_proj{nullptr}, q_b_proj{nullptr}, kv_a_proj_with_mqa{nullptr},
        kv_b_proj{nullptr}, o_proj{nullptr};
    RMSNorm q_a_layernorm{nullptr}, kv_a_layernorm{nullptr};

 private:
    TransformerConfig c_;
    int layer_;
    double scale_;
    // Decoding with the weight absorption of DeepSeek-V2: queries are mapped into the latent space, attend to
    // the cached latents directly (one shared KV head), and the result is mapped out per head.
    torch::Tensor paged_forward(const torch::Tensor& q_nope, const torch::Tensor& q_rot, const torch::Tensor& latent,
                                const torch::Tensor& k_rot, const PagedBatch& batch);
};
TORCH_MODULE(MlaAttention);

}  // namespace aha::policy
