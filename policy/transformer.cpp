// Decoder blocks, the backbone and the causal-LM head; see transformer.h.
#include "policy/transformer.h"

#include "core/error.h"
#include "policy/rope.h"

namespace aha::policy {

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
    return h + (moe ? moe(normed, ctx.token_valid) : dense->forward_with(normed, ctx.paged != nullptr));  // [B, T, C]
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

    auto h = embed_tokens(input_ids);  // [B, T, C]
    LayerContext ctx = rotary_context(position_ids, h.scalar_type());
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

LayerContext TransformerModelImpl::rotary_context(const torch::Tensor& position_ids, torch::ScalarType dtype) {
    // Rotary angles for each token's own position: [B, 1, T, R]
    if (inv_freq_.device() != position_ids.device()) inv_freq_ = inv_freq_.to(position_ids.device());
    auto angles = position_ids.to(torch::kFloat32).unsqueeze(-1) * inv_freq_;  // [B, T, R/2]
    auto emb = torch::cat({angles, angles}, -1).unsqueeze(1);                   // [B, 1, T, R]
    LayerContext ctx;
    ctx.cos = (emb.cos() * rope_scale_).to(dtype);
    ctx.sin = (emb.sin() * rope_scale_).to(dtype);
    return ctx;
}

torch::Tensor TransformerModelImpl::forward_paged(const torch::Tensor& input_ids,
                                                  const torch::Tensor& positions,
                                                  const PagedBatch& batch) {
    TORCH_CHECK(input_ids.dim() == 1 && positions.sizes() == input_ids.sizes(), "forward_paged: ids and positions [N]");
    auto ids = input_ids.unsqueeze(0);                                   // [1, N]
    auto h = embed_tokens(ids);                                          // [1, N, C]
    LayerContext ctx = rotary_context(positions.unsqueeze(0), h.scalar_type());
    ctx.token_valid = torch::ones(ids.sizes(), ids.options().dtype(torch::kBool));
    ctx.paged = &batch;
    for (const auto& module : *layers) h = module->as<DecoderLayer>()->forward(h, ctx);
    return norm(h)[0];                                                   // [N, C]
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

torch::Tensor CausalLMImpl::forward_paged(const torch::Tensor& input_ids,
                                          const torch::Tensor& positions,
                                          const PagedBatch& batch,
                                          const torch::Tensor& rows,
                                          torch::Tensor& buffer) {
    auto h = model->forward_paged(input_ids, positions, batch).index_select(0, rows);  // [R, C]
    const auto& w = output_weight();                                                  // [V, C]
    if (!buffer.defined() || buffer.scalar_type() != h.scalar_type() || buffer.device() != h.device()) {
        buffer = torch::empty({0}, h.options());
    }
    buffer.resize_({h.size(0), w.size(0)});
    project_into(buffer, h, w);  // [R, V]
    return buffer;
}

torch::Tensor CausalLMImpl::hidden_states(const torch::Tensor& input_ids,
                                          const torch::Tensor& position_ids,
                                          const torch::Tensor& token_valid) {
    return model(input_ids, position_ids, token_valid, nullptr);
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

void CausalLMImpl::set_aux_loss(bool on, bool per_sequence) {
    for (auto& m : moe_layers()) {
        m->aux_loss_enabled = on;
        m->aux_loss_per_sequence = per_sequence;
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
