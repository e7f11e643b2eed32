// Grouped-query and multi-head latent attention; see attention.h.
#include "policy/attention.h"

#include <cmath>
#include <optional>

#include "policy/rope.h"

namespace aha::policy {

KVCache KVCache::allocate(const TransformerConfig& c, int64_t batch, int64_t capacity, torch::TensorOptions o) {
    KVCache cache;
    for (int l = 0; l < c.num_layers; ++l) {
        if (c.mla.enabled) {
            cache.keys.push_back(torch::zeros({batch, capacity, c.mla.kv_lora_rank}, o));
            cache.values.push_back(torch::zeros({batch, capacity, c.mla.qk_rope_head_dim}, o));
        } else {
            cache.keys.push_back(torch::zeros({batch, c.num_kv_heads, capacity, c.head_dim()}, o));
            cache.values.push_back(torch::zeros({batch, c.num_kv_heads, capacity, c.head_dim()}, o));
        }
    }
    cache.key_valid = torch::zeros({batch, capacity}, o.dtype(torch::kBool));
    return cache;
}

namespace {

std::optional<torch::Tensor> optional_mask(const LayerContext& ctx) {
    return ctx.mask.defined() ? std::optional<torch::Tensor>(ctx.mask) : std::nullopt;
}

}  // namespace

AttentionImpl::AttentionImpl(const TransformerConfig& c, int layer) : c_(c), layer_(layer) { reset(); }

void AttentionImpl::reset() {
    int64_t d = c_.head_dim();
    q_proj = register_module("q_proj", linear(c_.hidden_size, c_.num_heads * d, c_.attention_bias));
    k_proj = register_module("k_proj", linear(c_.hidden_size, c_.num_kv_heads * d, c_.attention_bias));
    v_proj = register_module("v_proj", linear(c_.hidden_size, c_.num_kv_heads * d, c_.attention_bias));
    o_proj = register_module("o_proj", linear(c_.num_heads * d, c_.hidden_size, c_.o_bias));
    if (c_.qk_norm) {
        q_norm = register_module("q_norm", RMSNorm(d, c_.rms_norm_eps));
        k_norm = register_module("k_norm", RMSNorm(d, c_.rms_norm_eps));
    }
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const LayerContext& ctx) {
    const int64_t B = x.size(0), T = x.size(1), H = c_.num_heads, Hkv = c_.num_kv_heads, D = c_.head_dim();
    const bool packed = ctx.paged != nullptr;
    auto q = project(q_proj, x, packed).view({B, T, H, D});    // [B, T, H, D]
    auto k = project(k_proj, x, packed).view({B, T, Hkv, D});  // [B, T, Hkv, D]
    if (c_.qk_norm) {
        q = q_norm(q);
        k = k_norm(k);
    }
    q = apply_rotary(q.transpose(1, 2), ctx.cos, ctx.sin, false);  // [B, H, T, D]
    k = apply_rotary(k.transpose(1, 2), ctx.cos, ctx.sin, false);  // [B, Hkv, T, D]
    auto v = project(v_proj, x, packed).view({B, T, Hkv, D}).transpose(1, 2);  // [B, Hkv, T, D]
    if (packed) return project(o_proj, paged_forward(q, k, v, *ctx.paged).reshape({B, T, H * D}), true);
    if (KVCache* cache = ctx.cache) {
        const int64_t start = cache->length;
        TORCH_CHECK(start + T <= cache->capacity(), "KV cache overflow: ", start + T, " > ", cache->capacity());
        cache->keys[layer_].narrow(2, start, T).copy_(k);
        cache->values[layer_].narrow(2, start, T).copy_(v);
        k = cache->keys[layer_].narrow(2, 0, start + T);    // [B, Hkv, S, D]
        v = cache->values[layer_].narrow(2, 0, start + T);  // [B, Hkv, S, D]
    }
    torch::Tensor out;
    if (Hkv != H && ctx.mask.defined()) {
        // Grouped-query attention without copying K/V: the G query heads of each KV head become G blocks
        // of query rows (head h = kv * G + g), and the mask is repeated per block. Decoding reads the whole
        // cache every step, so this saves G copies of it.
        const int64_t G = H / Hkv;
        auto folded = q.reshape({B, Hkv, G * T, D});                                    // [B, Hkv, G*T, D]
        auto mask = ctx.mask.repeat({1, 1, G, 1});                                      // [B, 1, G*T, S]
        out = at::scaled_dot_product_attention(folded, k, v, mask).view({B, Hkv, G, T, D}).reshape({B, H, T, D});
    } else {
        if (Hkv != H) {
            k = k.repeat_interleave(H / Hkv, 1);  // [B, H, S, D]
            v = v.repeat_interleave(H / Hkv, 1);
        }
        // No mask = plain causal attention (no padding, no cached prefix): SDPA's fused causal kernels.
        out = at::scaled_dot_product_attention(q, k, v, optional_mask(ctx), 0.0, !ctx.mask.defined());  // [B, H, T, D]
    }
    return o_proj(out.transpose(1, 2).reshape({B, T, H * D}));         // [B, T, C]
}

torch::Tensor AttentionImpl::paged_forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                           const PagedBatch& batch) {
    // q [1, H, N, D], k/v [1, Hkv, N, D] -> [N, H, D]
    auto& kv = *batch.kv;
    using torch::indexing::Slice;
    // keys [NB, Hkv, D, BS] (column layout): each token fills column slot_offset of its block
    TORCH_CHECK(kv.key_layout == KeyLayout::kColumns, "paged_forward: grouped-query caches store keys by column");
    kv.keys[layer_].index_put_({batch.slot_block, Slice(), Slice(), batch.slot_offset}, k[0].transpose(0, 1));
    kv.values[layer_].index_put_({batch.slot_block, torch::indexing::Slice(), batch.slot_offset}, v[0].transpose(0, 1));
    const double scale = 1.0 / std::sqrt(static_cast<double>(c_.head_dim()));
    return paged_attention(q[0].transpose(0, 1), kv.keys[layer_], kv.values[layer_], c_.head_dim(), batch, scale,
                           kv.key_layout);
}

MlaAttentionImpl::MlaAttentionImpl(const TransformerConfig& c, int layer) : c_(c), layer_(layer) {
    scale_ = 1.0 / std::sqrt(static_cast<double>(c_.mla.qk_head_dim()));
    if (c_.rope.type != "default" && c_.rope.mscale_all_dim != 0) {
        const double m = yarn_mscale(c_.rope.factor, c_.rope.mscale_all_dim);
        scale_ *= m * m;
    }
    reset();
}

void MlaAttentionImpl::reset() {
    const auto& m = c_.mla;
    const int64_t H = c_.num_heads, C = c_.hidden_size;
    if (m.q_lora_rank > 0) {
        q_a_proj = register_module("q_a_proj", linear(C, m.q_lora_rank, c_.attention_bias));
        q_a_layernorm = register_module("q_a_layernorm", RMSNorm(m.q_lora_rank, 1e-6));
        q_b_proj = register_module("q_b_proj", linear(m.q_lora_rank, H * m.qk_head_dim(), false));
    } else {
        q_proj = register_module("q_proj", linear(C, H * m.qk_head_dim(), false));
    }
    kv_a_proj_with_mqa =
        register_module("kv_a_proj_with_mqa", linear(C, m.kv_lora_rank + m.qk_rope_head_dim, c_.attention_bias));
    kv_a_layernorm = register_module("kv_a_layernorm", RMSNorm(m.kv_lora_rank, 1e-6));
    kv_b_proj = register_module("kv_b_proj", linear(m.kv_lora_rank, H * (m.qk_nope_head_dim + m.v_head_dim), false));
    o_proj = register_module("o_proj", linear(H * m.v_head_dim, C, c_.attention_bias));
}

torch::Tensor MlaAttentionImpl::forward(const torch::Tensor& x, const LayerContext& ctx) {
    const auto& m = c_.mla;
    const int64_t B = x.size(0), T = x.size(1), H = c_.num_heads;
    const int64_t nope = m.qk_nope_head_dim, rope = m.qk_rope_head_dim, vd = m.v_head_dim;
    auto q = (m.q_lora_rank > 0 ? q_b_proj(q_a_layernorm(q_a_proj(x))) : q_proj(x))
                 .view({B, T, H, m.qk_head_dim()})
                 .transpose(1, 2);                                                      // [B, H, T, nope+rope]
    auto q_nope = q.narrow(-1, 0, nope);
    auto q_rot = apply_rotary(q.narrow(-1, nope, rope), ctx.cos, ctx.sin, c_.rope.interleave);
    auto compressed = kv_a_proj_with_mqa(x);                                            // [B, T, L + rope]
    auto latent = kv_a_layernorm(compressed.narrow(-1, 0, m.kv_lora_rank));             // [B, T, L]
    auto k_rot = apply_rotary(compressed.narrow(-1, m.kv_lora_rank, rope).unsqueeze(1), ctx.cos, ctx.sin,
                              c_.rope.interleave)
                     .squeeze(1);                                                       // [B, T, rope]
    if (ctx.paged) return o_proj(paged_forward(q_nope, q_rot, latent, k_rot, *ctx.paged).reshape({B, T, H * vd}));
    if (KVCache* cache = ctx.cache) {
        const int64_t start = cache->length;
        TORCH_CHECK(start + T <= cache->capacity(), "KV cache overflow: ", start + T, " > ", cache->capacity());
        cache->keys[layer_].narrow(1, start, T).copy_(latent);
        cache->values[layer_].narrow(1, start, T).copy_(k_rot);
        latent = cache->keys[layer_].narrow(1, 0, start + T);                           // [B, S, L]
        k_rot = cache->values[layer_].narrow(1, 0, start + T);                          // [B, S, rope]
    }
    const int64_t S = latent.size(1);
    auto kv = kv_b_proj(latent).view({B, S, H, nope + vd}).transpose(1, 2);             // [B, H, S, nope+vd]
    auto k = torch::cat({kv.narrow(-1, 0, nope), k_rot.unsqueeze(1).expand({B, H, S, rope})}, -1);
    auto v = kv.narrow(-1, nope, vd);                                                   // [B, H, S, vd]
    auto query = torch::cat({q_nope, q_rot}, -1);                                       // [B, H, T, nope+rope]
    auto out = at::scaled_dot_product_attention(query, k, v, optional_mask(ctx), 0.0, !ctx.mask.defined(), scale_);  // [B, H, T, vd]
    return o_proj(out.transpose(1, 2).reshape({B, T, H * vd}));                         // [B, T, C]
}

torch::Tensor MlaAttentionImpl::paged_forward(const torch::Tensor& q_nope,
                                              const torch::Tensor& q_rot,
                                              const torch::Tensor& latent,
                                              const torch::Tensor& k_rot,
                                              const PagedBatch& batch) {
    // q_nope [1, H, N, nope], q_rot [1, H, N, rope], latent [1, N, L], k_rot [1, N, rope] -> [N, H, vd]
    const auto& m = c_.mla;
    const int64_t H = c_.num_heads, L = m.kv_lora_rank, nope = m.qk_nope_head_dim, vd = m.v_head_dim;
    auto& kv = *batch.kv;
    auto row = torch::cat({latent[0], k_rot[0]}, -1).unsqueeze(1);                               // [N, 1, L+rope]
    kv.keys[layer_].index_put_({batch.slot_block, torch::indexing::Slice(), batch.slot_offset}, row);
    auto w = kv_b_proj->weight.view({H, nope + vd, L});
    auto w_uk = w.narrow(1, 0, nope);                                                            // [H, nope, L]
    auto w_uv = w.narrow(1, nope, vd);                                                           // [H, vd, L]
    auto q_latent = torch::bmm(q_nope[0], w_uk);                                                 // [H, N, L]
    auto query = torch::cat({q_latent, q_rot[0]}, -1).transpose(0, 1);                          // [N, H, L+rope]
    auto out_latent =
        paged_attention(query, kv.keys[layer_], kv.keys[layer_], L, batch, scale_, kv.key_layout);  // [N, H, L]
    return torch::bmm(out_latent.transpose(0, 1), w_uv.transpose(1, 2)).transpose(0, 1);        // [N, H, vd]
}

}  // namespace aha::policy
