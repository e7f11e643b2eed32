// Llama/Qwen2-style decoder-only transformer; see transformer.h.
#include "policy/transformer.h"

#include <cmath>

namespace aha::policy {

// ---- config -------------------------------------------------------------------------------------------

TransformerConfig TransformerConfig::from_json(ConfigReader r) {
    TransformerConfig c;
    r.read("vocab_size", c.vocab_size)
        .read("hidden_size", c.hidden_size)
        .read("num_layers", c.num_layers)
        .read("num_heads", c.num_heads)
        .read("num_kv_heads", c.num_kv_heads)
        .read("intermediate_size", c.intermediate_size)
        .read("max_position", c.max_position)
        .read("rope_theta", c.rope_theta)
        .read("rms_norm_eps", c.rms_norm_eps)
        .read("tie_word_embeddings", c.tie_word_embeddings)
        .read("attention_bias", c.attention_bias);
    r.finish();
    return c;
}

Json TransformerConfig::to_json() const {
    return {{"vocab_size", vocab_size},
            {"hidden_size", hidden_size},
            {"num_layers", num_layers},
            {"num_heads", num_heads},
            {"num_kv_heads", num_kv_heads},
            {"intermediate_size", intermediate_size},
            {"max_position", max_position},
            {"rope_theta", rope_theta},
            {"rms_norm_eps", rms_norm_eps},
            {"tie_word_embeddings", tie_word_embeddings},
            {"attention_bias", attention_bias}};
}

void TransformerConfig::validate(const std::string& path) const {
    config_require(vocab_size > 0, path + ".vocab_size", "expected > 0");
    config_require(hidden_size > 0, path + ".hidden_size", "expected > 0");
    config_require(num_layers > 0, path + ".num_layers", "expected > 0");
    config_require(num_heads > 0 && hidden_size % num_heads == 0,
                   path + ".num_heads",
                   "expected a divisor of hidden_size (" + std::to_string(hidden_size) + ")");
    config_require(head_dim() % 2 == 0, path + ".num_heads", "head_dim = hidden_size/num_heads must be even (rotary)");
    config_require(num_kv_heads > 0 && num_heads % num_kv_heads == 0,
                   path + ".num_kv_heads",
                   "expected a divisor of num_heads (" + std::to_string(num_heads) + ")");
    config_require(intermediate_size > 0, path + ".intermediate_size", "expected > 0");
    config_require(max_position > 0, path + ".max_position", "expected > 0");
    config_require(rope_theta > 0, path + ".rope_theta", "expected > 0");
    config_require(rms_norm_eps > 0, path + ".rms_norm_eps", "expected > 0");
}

TransformerConfig TransformerConfig::from_hf_json(const Json& j, const std::string& source) {
    auto need = [&](const char* key) -> const Json& {
        if (!j.contains(key)) throw FormatError(source + ": missing key " + key);
        return j.at(key);
    };
    std::string type = j.value("model_type", "");
    if (type != "llama" && type != "qwen2") {
        throw FormatError(source + ": model_type '" + type + "' is not supported here; expected llama or qwen2");
    }
    if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) {
        throw FormatError(source + ": rope_scaling is not supported yet");
    }
    // transformers >= 5 nests the rotary settings in rope_parameters.
    double rope_theta = j.value("rope_theta", 10000.0);
    if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {
        const Json& rp = j["rope_parameters"];
        std::string rope_type = rp.value("rope_type", "default");
        if (rope_type != "default") {
            throw FormatError(source + ": rope_parameters.rope_type '" + rope_type + "' is not supported yet (only default)");
        }
        rope_theta = rp.value("rope_theta", rope_theta);
    }
    if (j.value("use_sliding_window", false)) {
        throw FormatError(source + ": use_sliding_window is not supported yet");
    }
    TransformerConfig c;
    try {
        c.vocab_size = need("vocab_size").get<int>();
        c.hidden_size = need("hidden_size").get<int>();
        c.num_layers = need("num_hidden_layers").get<int>();
        c.num_heads = need("num_attention_heads").get<int>();
        c.num_kv_heads = j.value("num_key_value_heads", c.num_heads);
        c.intermediate_size = need("intermediate_size").get<int>();
        c.max_position = j.value("max_position_embeddings", 2048);
        c.rope_theta = rope_theta;
        c.rms_norm_eps = j.value("rms_norm_eps", 1e-6);
        c.tie_word_embeddings = j.value("tie_word_embeddings", false);
        c.attention_bias = type == "qwen2" ? true : j.value("attention_bias", false);
        if (j.contains("head_dim") && !j["head_dim"].is_null() && j["head_dim"].get<int>() != c.head_dim()) {
            throw FormatError(source + ": head_dim differs from hidden_size/num_attention_heads; not supported yet");
        }
    } catch (const Json::exception& e) {
        throw FormatError(source + ": " + e.what());
    }
    c.validate(source);
    return c;
}

// ---- cache --------------------------------------------------------------------------------------------

KVCache KVCache::allocate(const TransformerConfig& c, int64_t batch, int64_t capacity, torch::TensorOptions o) {
    KVCache cache;
    for (int l = 0; l < c.num_layers; ++l) {
        cache.keys.push_back(torch::zeros({batch, c.num_kv_heads, capacity, c.head_dim()}, o));
        cache.values.push_back(torch::zeros({batch, c.num_kv_heads, capacity, c.head_dim()}, o));
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
        if (p.key().size() >= 4 && p.key().compare(p.key().size() - 4, 4, "bias") == 0) {
            p.value().zero_();
        } else {
            p.value().normal_(0.0, 0.02);
        }
    }
}

// HF layout: the second half of the head dimension is rotated against the first.
torch::Tensor rotate_half(const torch::Tensor& x) {
    int64_t half = x.size(-1) / 2;
    return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
    return x * cos + rotate_half(x) * sin;
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
    o_proj = register_module("o_proj", linear(c_.num_heads * d, c_.hidden_size, false));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x,
                                     const torch::Tensor& cos,
                                     const torch::Tensor& sin,
                                     const torch::Tensor& mask,
                                     KVCache* cache) {
    const int64_t B = x.size(0), T = x.size(1), H = c_.num_heads, Hkv = c_.num_kv_heads, D = c_.head_dim();
    auto q = q_proj(x).view({B, T, H, D}).transpose(1, 2);    // [B, H, T, D]
    auto k = k_proj(x).view({B, T, Hkv, D}).transpose(1, 2);  // [B, Hkv, T, D]
    auto v = v_proj(x).view({B, T, Hkv, D}).transpose(1, 2);  // [B, Hkv, T, D]
    q = apply_rotary(q, cos, sin);
    k = apply_rotary(k, cos, sin);
    if (cache) {
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
    auto out = at::scaled_dot_product_attention(q, k, v, mask);  // [B, H, T, D]
    return o_proj(out.transpose(1, 2).reshape({B, T, H * D}));     // [B, T, C]
}

MLPImpl::MLPImpl(const TransformerConfig& c) : c_(c) { reset(); }

void MLPImpl::reset() {
    gate_proj = register_module("gate_proj", linear(c_.hidden_size, c_.intermediate_size, false));
    up_proj = register_module("up_proj", linear(c_.hidden_size, c_.intermediate_size, false));
    down_proj = register_module("down_proj", linear(c_.intermediate_size, c_.hidden_size, false));
}

torch::Tensor MLPImpl::forward(const torch::Tensor& x) {
    return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

DecoderLayerImpl::DecoderLayerImpl(const TransformerConfig& c, int layer) : c_(c), layer_(layer) { reset(); }

void DecoderLayerImpl::reset() {
    input_layernorm = register_module("input_layernorm", RMSNorm(c_.hidden_size, c_.rms_norm_eps));
    self_attn = register_module("self_attn", Attention(c_, layer_));
    post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c_.hidden_size, c_.rms_norm_eps));
    mlp = register_module("mlp", MLP(c_));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x,
                                        const torch::Tensor& cos,
                                        const torch::Tensor& sin,
                                        const torch::Tensor& mask,
                                        KVCache* cache) {
    auto h = x + self_attn(input_layernorm(x), cos, sin, mask, cache);  // [B, T, C]
    return h + mlp(post_attention_layernorm(h));                         // [B, T, C]
}

TransformerModelImpl::TransformerModelImpl(const TransformerConfig& c) : c_(c) { reset(); }

void TransformerModelImpl::reset() {
    embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c_.vocab_size, c_.hidden_size));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int l = 0; l < c_.num_layers; ++l) layers->push_back(DecoderLayer(c_, l));
    norm = register_module("norm", RMSNorm(c_.hidden_size, c_.rms_norm_eps));
    const int64_t D = c_.head_dim();
    inv_freq_ = torch::pow(c_.rope_theta, -torch::arange(0, D, 2, torch::kFloat64) / D).to(torch::kFloat32);
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

    // Rotary angles for each token's own position: [B, 1, T, D]
    if (inv_freq_.device() != input_ids.device()) inv_freq_ = inv_freq_.to(input_ids.device());
    auto angles = position_ids.to(torch::kFloat32).unsqueeze(-1) * inv_freq_;                   // [B, T, D/2]
    auto emb = torch::cat({angles, angles}, -1).unsqueeze(1);                                    // [B, 1, T, D]
    auto h = embed_tokens(input_ids);                                                            // [B, T, C]
    auto cos = emb.cos().to(h.scalar_type()), sin = emb.sin().to(h.scalar_type());

    // Attend to real tokens at or before one's own position; every query sees at least itself (pad rows
    // produce finite garbage that callers mask out).
    torch::Tensor key_valid = token_valid;
    if (cache) {
        cache->key_valid.narrow(1, offset, T).copy_(token_valid);
        key_valid = cache->key_valid.narrow(1, 0, offset + T);                                   // [B, S]
    }
    auto q_pos = (torch::arange(T, opts.dtype(torch::kLong)) + offset).unsqueeze(1);             // [T, 1]
    auto k_pos = torch::arange(offset + T, opts.dtype(torch::kLong)).unsqueeze(0);               // [1, S]
    auto mask = ((k_pos <= q_pos) & key_valid.unsqueeze(1).unsqueeze(1)) | (k_pos == q_pos);     // [B, 1, T, S]

    for (const auto& layer : *layers) h = layer->as<DecoderLayer>()->forward(h, cos, sin, mask, cache);
    if (cache) cache->length += T;
    return norm(h);                                                                              // [B, T, C]
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
    auto h = model(input_ids, position_ids, token_valid, cache);                  // [B, T, C]
    if (lm_head) return lm_head(h);                                               // [B, T, V]
    return torch::matmul(h, model->embed_tokens->weight.t());                     // [B, T, V]
}

int64_t CausalLMImpl::num_parameters() const {
    int64_t n = 0;
    for (const auto& p : parameters()) n += p.numel();
    return n;
}

torch::Tensor positions_from_mask(const torch::Tensor& token_valid) {
    return (token_valid.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
}

}  // namespace aha::policy
