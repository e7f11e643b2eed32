// The decoder-only model families; see transformer.h.
#include "policy/transformer.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/error.h"
#include "core/strings.h"

namespace aha::policy {

namespace F = torch::nn::functional;

// ---- rotary frequencies -------------------------------------------------------------------------------

namespace {

double yarn_mscale(double scale, double mscale) { return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0; }

}  // namespace

std::pair<torch::Tensor, double> rope_frequencies(const RopeConfig& r, int dim) {
    // fp32 throughout, in transformers' order of operations, so the tables agree bit for bit.
    auto exponents = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / dim;  // [dim/2]
    auto pos_freqs = torch::pow(r.theta, exponents);
    auto inv_freq = 1.0 / pos_freqs;
    double scale = 1.0;
    if (r.type == "linear") {
        inv_freq = inv_freq / r.factor;
    } else if (r.type == "llama3") {
        const double old_len = r.original_max_position;
        const double low_wavelen = old_len / r.low_freq_factor, high_wavelen = old_len / r.high_freq_factor;
        auto wavelen = 2 * M_PI / inv_freq;
        auto scaled = torch::where(wavelen > low_wavelen, inv_freq / r.factor, inv_freq);
        auto smooth = (old_len / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
        auto smoothed = (1 - smooth) * scaled / r.factor + smooth * scaled;
        auto medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen);
        inv_freq = torch::where(medium, smoothed, scaled);
    } else if (r.type == "yarn") {
        if (r.attention_factor > 0) {
            scale = r.attention_factor;
        } else if (r.mscale != 0 && r.mscale_all_dim != 0) {
            scale = yarn_mscale(r.factor, r.mscale) / yarn_mscale(r.factor, r.mscale_all_dim);
        } else {
            scale = yarn_mscale(r.factor, 1.0);
        }
        auto correction_dim = [&](double rotations) {
            return dim * std::log(r.original_max_position / (rotations * 2 * M_PI)) / (2 * std::log(r.theta));
        };
        double low = correction_dim(r.beta_fast), high = correction_dim(r.beta_slow);
        if (r.truncate) {
            low = std::floor(low);
            high = std::ceil(high);
        }
        low = std::max(low, 0.0);
        high = std::min(high, static_cast<double>(dim - 1));
        if (low == high) high += 0.001;
        auto ramp = ((torch::arange(dim / 2, torch::kFloat32) - low) / (high - low)).clamp(0, 1);
        auto extrapolation = 1 - ramp;
        auto interpolation = 1.0 / (r.factor * pos_freqs);
        inv_freq = interpolation * (1 - extrapolation) + inv_freq * extrapolation;
    }
    return {inv_freq, scale};
}

// ---- cache --------------------------------------------------------------------------------------------

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

// ---- modules ------------------------------------------------------------------------------------------

namespace {

torch::nn::Linear linear(int64_t in, int64_t out, bool bias) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

void init_normal(torch::nn::Module& m) {
    torch::NoGradGuard no_grad;
    for (auto& p : m.named_parameters()) {
        if (p.key().find("norm") != std::string::npos) continue;
        if (ends_with(p.key(), "bias")) {
            p.value().zero_();
        } else {
            p.value().normal_(0.0, 0.02);
        }
    }
}

// Half-split layout (Llama/Qwen): the second half of the rotary dimensions is rotated against the first.
torch::Tensor rotate_half(const torch::Tensor& x) {
    int64_t half = x.size(-1) / 2;
    return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// x [B, H, T, R]; cos/sin [B, 1, T, R] (each frequency twice: cat(freqs, freqs)).
torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, bool interleave) {
    if (!interleave) return x * cos + rotate_half(x) * sin;
    // Interleaved pairs (x0, x1), (x2, x3), ...; the output lists the rotated even members, then the odd
    // ones. Queries and keys get the same permutation, so their dot products are unchanged.
    const int64_t half = x.size(-1) / 2;
    using torch::indexing::Slice;
    auto c = cos.narrow(-1, 0, half), s = sin.narrow(-1, 0, half);
    auto x1 = x.index({"...", Slice(0, torch::indexing::None, 2)});
    auto x2 = x.index({"...", Slice(1, torch::indexing::None, 2)});
    return torch::cat({x1 * c - x2 * s, x2 * c + x1 * s}, -1);
}

std::optional<torch::Tensor> optional_mask(const LayerContext& ctx) {
    return ctx.mask.defined() ? std::optional<torch::Tensor>(ctx.mask) : std::nullopt;
}

}  // namespace

RMSNormImpl::RMSNormImpl(int64_t dim, double eps) : dim_(dim), eps_(eps) { reset(); }

void RMSNormImpl::reset() { weight = register_parameter("weight", torch::ones({dim_})); }

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
    auto xf = x.to(torch::kFloat32);
    auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps_);
    return weight * normed.to(x.scalar_type());
}

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
    auto q = q_proj(x).view({B, T, H, D});    // [B, T, H, D]
    auto k = k_proj(x).view({B, T, Hkv, D});  // [B, T, Hkv, D]
    if (c_.qk_norm) {
        q = q_norm(q);
        k = k_norm(k);
    }
    q = apply_rotary(q.transpose(1, 2), ctx.cos, ctx.sin, false);  // [B, H, T, D]
    k = apply_rotary(k.transpose(1, 2), ctx.cos, ctx.sin, false);  // [B, Hkv, T, D]
    auto v = v_proj(x).view({B, T, Hkv, D}).transpose(1, 2);       // [B, Hkv, T, D]
    if (KVCache* cache = ctx.cache) {
        const int64_t start = cache->length;
        TORCH_CHECK(start + T <= cache->capacity(), "KV cache overflow: ", start + T, " > ", cache->capacity());
        cache->keys[layer_].narrow(2, start, T).copy_(k);
        cache->values[layer_].narrow(2, start, T).copy_(v);
        k = cache->keys[layer_].narrow(2, 0, start + T);    // [B, Hkv, S, D]
        v = cache->values[layer_].narrow(2, 0, start + T);  // [B, Hkv, S, D]
    }
    if (Hkv != H) {
        k = k.repeat_interleave(H / Hkv, 1);  // [B, H, S, D]
        v = v.repeat_interleave(H / Hkv, 1);
    }
    // No mask = plain causal attention (no padding, no cached prefix): SDPA's fused causal kernels.
    auto out = at::scaled_dot_product_attention(q, k, v, optional_mask(ctx), 0.0, !ctx.mask.defined());  // [B, H, T, D]
    return o_proj(out.transpose(1, 2).reshape({B, T, H * D}));         // [B, T, C]
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

MLPImpl::MLPImpl(const TransformerConfig& c, int64_t intermediate_size) : c_(c), intermediate_size_(intermediate_size) {
    reset();
}

void MLPImpl::reset() {
    gate_proj = register_module("gate_proj", linear(c_.hidden_size, intermediate_size_, c_.mlp_bias));
    up_proj = register_module("up_proj", linear(c_.hidden_size, intermediate_size_, c_.mlp_bias));
    down_proj = register_module("down_proj", linear(intermediate_size_, c_.hidden_size, c_.mlp_bias));
}

torch::Tensor MLPImpl::forward(const torch::Tensor& x) { return down_proj(torch::silu(gate_proj(x)) * up_proj(x)); }

RouterImpl::RouterImpl(const TransformerConfig& c) : c_(c) { reset(); }

void RouterImpl::reset() {
    weight = register_parameter("weight", torch::zeros({c_.moe.num_experts, c_.hidden_size}));
    if (c_.moe.correction_bias) {
        e_score_correction_bias = register_buffer("e_score_correction_bias", torch::zeros({c_.moe.num_experts}));
    }
}

ExpertsImpl::ExpertsImpl(const TransformerConfig& c) : c_(c) { reset(); }

void ExpertsImpl::reset() {
    const int64_t E = c_.moe.num_experts, I = c_.moe.intermediate_size, C = c_.hidden_size;
    gate_up_proj = register_parameter("gate_up_proj", torch::zeros({E, 2 * I, C}));
    down_proj = register_parameter("down_proj", torch::zeros({E, C, I}));
}

MoEImpl::MoEImpl(const TransformerConfig& c) : c_(c) { reset(); }

void MoEImpl::reset() {
    gate = register_module("gate", Router(c_));
    experts = register_module("experts", Experts(c_));
    if (c_.moe.shared_intermediate_size > 0) {
        shared = register_module(c_.deepseek_names() ? "shared_experts" : "shared_expert",
                                 MLP(c_, c_.moe.shared_intermediate_size));
    }
    if (c_.moe.shared_expert_gate) shared_expert_gate = register_module("shared_expert_gate", linear(c_.hidden_size, 1, false));
    load = torch::zeros({c_.moe.num_experts}, torch::kFloat64);
}

namespace {

// at::_grouped_mm needs 16-byte aligned rows and weights (fp32/bf16 on CPU; bf16 on sm80+ CUDA); otherwise
// the experts run one GEMM each.
bool grouped_mm_usable(const torch::Tensor& input, const torch::Tensor& gate_up, const torch::Tensor& down) {
    if (std::getenv("AHA_MOE_LOOP")) return false;
    const auto type = input.scalar_type();
    if (input.is_cuda() ? type != torch::kBFloat16 : (type != torch::kFloat32 && type != torch::kBFloat16)) return false;
    const int64_t bytes = input.element_size();
    for (const auto& t : {input, gate_up, down}) {
        if (reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 != 0) return false;
        if ((t.size(-1) * bytes) % 16 != 0 || (t.size(-2) * bytes) % 16 != 0) return false;
    }
    return true;
}

}  // namespace

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> MoEImpl::route(const torch::Tensor& flat) {
    const auto& m = c_.moe;
    const int64_t N = flat.size(0), E = m.num_experts;
    auto logits = m.router_fp32 ? F::linear(flat.to(torch::kFloat32), gate->weight.to(torch::kFloat32))
                                : F::linear(flat, gate->weight);                                    // [N, E]
    auto scores = m.scoring == "sigmoid" ? logits.to(torch::kFloat32).sigmoid()
                                         : logits.softmax(-1, torch::kFloat32);                   // [N, E]
    auto choice = scores.detach();
    if (gate->e_score_correction_bias.defined()) choice = choice + gate->e_score_correction_bias.to(torch::kFloat32);
    if (m.n_group > 1) {
        auto grouped = choice.view({N, m.n_group, E / m.n_group});
        auto group_scores = m.group_score == "max" ? std::get<0>(grouped.max(-1))
                                                   : std::get<0>(grouped.topk(2, -1)).sum(-1);    // [N, G]
        auto best = std::get<1>(group_scores.topk(m.topk_group, -1));                              // [N, topk_group]
        auto eligible = torch::zeros_like(group_scores, torch::kBool).scatter_(1, best, true);      // [N, G]
        eligible = eligible.unsqueeze(-1).expand({N, m.n_group, E / m.n_group}).reshape({N, E});
        choice = choice.masked_fill(eligible.logical_not(), -std::numeric_limits<float>::infinity());
    }
    auto chosen = std::get<1>(choice.topk(m.top_k, -1));                                           // [N, k]
    auto weights = scores.gather(1, chosen);                                                        // [N, k]
    if (m.norm_topk_prob) {
        auto denom = weights.sum(-1, /*keepdim=*/true);
        weights = weights / (c_.deepseek_names() ? denom + 1e-20 : denom);
    }
    if (m.routed_scaling_factor != 1.0) weights = weights * m.routed_scaling_factor;
    return {weights, chosen, scores};
}

torch::Tensor MoEImpl::forward(const torch::Tensor& x, const torch::Tensor& token_valid) {
    const int64_t B = x.size(0), T = x.size(1), C = x.size(2), N = B * T, k = c_.moe.top_k;
    const int64_t E = c_.moe.num_experts, I = c_.moe.intermediate_size;
    auto flat = x.reshape({N, C});
    // Balance statistics and the aux loss count real tokens only.
    auto valid = token_valid.reshape({N});
    auto [weights, chosen, scores] = route(flat);
    auto flat_choice = chosen.reshape({N * k});
    if (record_load) {
        torch::NoGradGuard no_grad;
        auto real = flat_choice.masked_select(valid.unsqueeze(1).expand({N, k}).reshape({N * k}));
        if (load.device() != x.device()) load = load.to(x.device());  // accumulate where the model runs: no sync
        load += real.bincount({}, E).to(torch::kFloat64);
    }
    if (aux_loss_enabled) {
        // Switch/Qwen-style balance loss over the real tokens: E * sum_e f_e P_e, where f_e is the share of
        // routed slots that went to e and P_e its mean routing probability.
        auto real = valid.to(torch::kFloat32);                                                     // [N]
        auto n_real = real.sum().clamp_min(1);
        auto probs = c_.moe.scoring == "sigmoid" ? scores / scores.sum(-1, true) : scores;         // [N, E]
        auto mean_prob = (probs * real.unsqueeze(1)).sum(0) / n_real;                              // [E]
        auto share = torch::zeros({E}, probs.options())
                         .scatter_add_(0, flat_choice, real.repeat_interleave(k))
                         .div(n_real * k);                                                         // [E]
        aux_loss = (share * mean_prob).sum() * E;
    }

    // Dispatch grouped by expert: sort the (token, slot) pairs by expert, run each expert on its slice.
    auto order = std::get<1>(flat_choice.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));                 // [N*k]
    auto counts = flat_choice.bincount({}, E);                                     // [E]
    auto inputs = flat.index_select(0, order.div(k, "floor"));                    // [N*k, C]
    torch::Tensor sorted_out;                                                      // [N*k, C]
    if (grouped_mm_usable(inputs, experts->gate_up_proj, experts->down_proj)) {
        // One grouped GEMM per projection over the expert-sorted rows (LibTorch's kernel, CPU and CUDA).
        auto offsets = counts.cumsum(0).to(torch::kInt32);
        auto gate_up = at::_grouped_mm(inputs, experts->gate_up_proj.transpose(1, 2), offsets);  // [N*k, 2I]
        auto h = torch::silu(gate_up.narrow(1, 0, I)) * gate_up.narrow(1, I, I);                  // [N*k, I]
        sorted_out = at::_grouped_mm(h, experts->down_proj.transpose(1, 2), offsets);            // [N*k, C]
    } else {
        // One unbind per forward (not an index per expert): its backward stacks the experts' gradients once
        // instead of materialising a full-size zero gradient per expert.
        counts = counts.to(torch::kCPU);
        const int64_t* count = counts.data_ptr<int64_t>();
        auto gate_up_w = experts->gate_up_proj.unbind(0), down_w = experts->down_proj.unbind(0);
        std::vector<torch::Tensor> outputs;
        int64_t offset = 0;
        for (int64_t e = 0; e < E; ++e) {
            if (count[e] == 0) continue;
            auto rows = inputs.narrow(0, offset, count[e]);
            auto gate_up = torch::matmul(rows, gate_up_w[e].t());                      // [n, 2I]
            auto h = torch::silu(gate_up.narrow(1, 0, I)) * gate_up.narrow(1, I, I);   // [n, I]
            outputs.push_back(torch::matmul(h, down_w[e].t()));                        // [n, C]
            offset += count[e];
        }
        sorted_out = torch::cat(outputs, 0);
    }
    auto inverse = torch::empty_like(order).scatter_(0, order, torch::arange(N * k, order.options()));
    auto per_slot = sorted_out.index_select(0, inverse).view({N, k, C});           // [N, k, C]
    auto routed = (per_slot.to(torch::kFloat32) * weights.to(torch::kFloat32).unsqueeze(-1)).sum(1).to(x.scalar_type());
    if (shared) {
        auto s = shared(flat);
        if (shared_expert_gate) s = torch::sigmoid(shared_expert_gate(flat)) * s;
        routed = routed + s;
    }
    return routed.view({B, T, C});
}

DecoderLayerImpl::DecoderLayerImpl(const TransformerConfig& c, int layer) : c_(c), layer_(layer) { reset(); }

void DecoderLayerImpl::reset() {
    input_layernorm = register_module("input_layernorm", RMSNorm(c_.hidden_size, c_.rms_norm_eps));
    if (c_.mla.enabled) {
        mla_attn = register_module("self_attn", MlaAttention(c_, layer_));
    } else {
        attn = register_module("self_attn", Attention(c_, layer_));
    }
    post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c_.hidden_size, c_.rms_norm_eps));
    if (c_.moe_layer(layer_)) {
        moe = register_module("mlp", MoE(c_));
    } else {
        dense = register_module("mlp", MLP(c_, c_.intermediate_size));
    }
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const LayerContext& ctx) {
    auto normed = input_layernorm(x);
    auto h = x + (attn ? attn(normed, ctx) : mla_attn(normed, ctx));  // [B, T, C]
    normed = post_attention_layernorm(h);
    return h + (moe ? moe(normed, ctx.token_valid) : dense(normed));  // [B, T, C]
}

// ---- activation checkpointing -------------------------------------------------------------------------

namespace {

// autograd::Function inputs must be defined tensors: an empty one stands for "no mask" (causal).
torch::Tensor causal_if_empty(const torch::Tensor& mask) { return mask.numel() == 0 ? torch::Tensor() : mask; }

// Runs a decoder block without keeping its activations and recomputes it in the backward pass. The block's
// parameters receive their gradients from the inner backward; the block input's gradient is returned.
struct CheckpointedBlock : public torch::autograd::Function<CheckpointedBlock> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx,
                                 const torch::Tensor& x,
                                 const torch::Tensor& cos,
                                 const torch::Tensor& sin,
                                 const torch::Tensor& mask,
                                 const torch::Tensor& token_valid,
                                 DecoderLayerImpl* layer) {
        ctx->save_for_backward({x, cos, sin, mask, token_valid});
        ctx->saved_data["layer"] = reinterpret_cast<int64_t>(layer);
        LayerContext lc{cos, sin, causal_if_empty(mask), token_valid, nullptr};
        return layer->forward(x, lc);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grad_out) {
        auto saved = ctx->get_saved_variables();
        auto* layer = reinterpret_cast<DecoderLayerImpl*>(ctx->saved_data["layer"].toInt());
        auto x = saved[0].detach().requires_grad_(true);
        LayerContext lc{saved[1], saved[2], causal_if_empty(saved[3]), saved[4], nullptr};
        torch::AutoGradMode grad_mode(true);
        // The recomputation must not count expert load twice.
        bool recorded = layer->moe ? layer->moe->record_load : false;
        if (layer->moe) layer->moe->record_load = false;
        auto y = layer->forward(x, lc);
        if (layer->moe) layer->moe->record_load = recorded;
        torch::autograd::backward({y}, {grad_out[0]});
        return {x.grad(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

// ---- backbone and head --------------------------------------------------------------------------------

TransformerModelImpl::TransformerModelImpl(const TransformerConfig& c) : c_(c) { reset(); }

void TransformerModelImpl::reset() {
    embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c_.vocab_size, c_.hidden_size));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int l = 0; l < c_.num_layers; ++l) layers->push_back(DecoderLayer(c_, l));
    norm = register_module("norm", RMSNorm(c_.hidden_size, c_.rms_norm_eps));
    std::tie(inv_freq_, rope_scale_) = rope_frequencies(c_.rope, c_.rotary_dim());
}

torch::Tensor TransformerModelImpl::forward(const torch::Tensor& input_ids,
                                            const torch::Tensor& position_ids,
                                            const torch::Tensor& token_valid,
                                            KVCache* cache) {
    TORCH_CHECK(input_ids.dim() == 2, "input_ids must be [B, T]");
    TORCH_CHECK(position_ids.sizes() == input_ids.sizes() && token_valid.sizes() == input_ids.sizes(),
                "position_ids and token_valid must match input_ids [B, T]");
    const int64_t T = input_ids.size(1);
    const int64_t offset = cache ? cache->length : 0;
    auto opts = torch::TensorOptions().device(input_ids.device());

    // Rotary angles for each token's own position: [B, 1, T, R]
    if (inv_freq_.device() != input_ids.device()) inv_freq_ = inv_freq_.to(input_ids.device());
    auto angles = position_ids.to(torch::kFloat32).unsqueeze(-1) * inv_freq_;  // [B, T, R/2]
    auto emb = torch::cat({angles, angles}, -1).unsqueeze(1);                   // [B, 1, T, R]
    auto h = embed_tokens(input_ids);                                           // [B, T, C]
    LayerContext ctx;
    ctx.cos = (emb.cos() * rope_scale_).to(h.scalar_type());
    ctx.sin = (emb.sin() * rope_scale_).to(h.scalar_type());
    ctx.token_valid = token_valid;
    ctx.cache = cache;

    // Attend to real tokens at or before one's own position; every query sees at least itself (pad rows
    // produce finite garbage that callers mask out).
    torch::Tensor key_valid = token_valid;
    if (cache) {
        cache->key_valid.narrow(1, offset, T).copy_(token_valid);
        key_valid = cache->key_valid.narrow(1, 0, offset + T);                              // [B, S]
    }
    auto q_pos = (torch::arange(T, opts.dtype(torch::kLong)) + offset).unsqueeze(1);        // [T, 1]
    auto k_pos = torch::arange(offset + T, opts.dtype(torch::kLong)).unsqueeze(0);          // [1, S]
    if (offset > 0 || !token_valid.all().item<bool>()) {
        ctx.mask = ((k_pos <= q_pos) & key_valid.unsqueeze(1).unsqueeze(1)) | (k_pos == q_pos);  // [B, 1, T, S]
    }

    const bool checkpoint = gradient_checkpointing && !cache && torch::GradMode::is_enabled();
    for (const auto& module : *layers) {
        auto* layer = module->as<DecoderLayer>();
        if (checkpoint) {
            auto mask = ctx.mask.defined() ? ctx.mask : torch::empty({0}, opts.dtype(torch::kBool));
            h = CheckpointedBlock::apply(h, ctx.cos, ctx.sin, mask, ctx.token_valid, layer);
        } else {
            h = layer->forward(h, ctx);
        }
    }
    if (cache) cache->length += T;
    return norm(h);  // [B, T, C]
}

CausalLMImpl::CausalLMImpl(const TransformerConfig& c) : c_(c) {
    c_.validate("model");
    reset();
}

void CausalLMImpl::reset() {
    model = register_module("model", TransformerModel(c_));
    if (!c_.tie_word_embeddings) {
        lm_head = register_module("lm_head", linear(c_.hidden_size, c_.vocab_size, false));
    } else {
        lm_head = nullptr;
    }
    init_normal(*this);
}

torch::Tensor CausalLMImpl::forward(const torch::Tensor& input_ids,
                                    const torch::Tensor& position_ids,
                                    const torch::Tensor& token_valid,
                                    KVCache* cache) {
    auto h = model(input_ids, position_ids, token_valid, cache);  // [B, T, C]
    if (lm_head) return lm_head(h);                               // [B, T, V]
    return torch::matmul(h, model->embed_tokens->weight.t());     // [B, T, V]
}

int64_t CausalLMImpl::num_parameters() const {
    int64_t n = 0;
    for (const auto& p : parameters()) n += p.numel();
    return n;
}

std::vector<MoE> CausalLMImpl::moe_layers() const {
    std::vector<MoE> out;
    for (const auto& module : *model->layers) {
        auto* layer = module->as<DecoderLayer>();
        if (layer->moe) out.push_back(layer->moe);
    }
    return out;
}

std::vector<torch::Tensor> CausalLMImpl::expert_load() const {
    std::vector<torch::Tensor> out;
    for (const auto& m : moe_layers()) out.push_back(m->load.to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true));
    return out;
}

void CausalLMImpl::reset_expert_load() {
    for (auto& m : moe_layers()) m->load.zero_();
}

torch::Tensor CausalLMImpl::aux_loss() const {
    torch::Tensor total;
    for (const auto& m : moe_layers()) {
        if (!m->aux_loss_enabled || !m->aux_loss.defined()) continue;
        total = total.defined() ? total + m->aux_loss : m->aux_loss;
    }
    return total;
}

void CausalLMImpl::set_aux_loss(bool on) {
    for (auto& m : moe_layers()) {
        m->aux_loss_enabled = on;
        m->aux_loss = torch::Tensor();
    }
}

void CausalLMImpl::update_routing_bias(double gamma) {
    if (!c_.moe.correction_bias) {
        throw ConfigError("aux-loss-free balancing needs a router correction bias (e_score_correction_bias, as in "
                          "deepseek_v3); model_type " + c_.model_type + " has none");
    }
    torch::NoGradGuard no_grad;
    for (auto& m : moe_layers()) {
        auto load = m->load.to(torch::kFloat32);
        if (load.sum().item<double>() == 0) continue;
        auto step = (load.mean() - load).sign() * gamma;
        m->gate->e_score_correction_bias.add_(step.to(m->gate->e_score_correction_bias.options()));
    }
}

torch::Tensor positions_from_mask(const torch::Tensor& token_valid) {
    return (token_valid.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
}

}  // namespace aha::policy
