// A decoder-only transformer in the Llama/Qwen2 family: RMSNorm, rotary embeddings, grouped-query attention,
// SwiGLU MLP, tied or untied embeddings, and a KV cache for incremental decoding. Parameter names match the
// Hugging Face checkpoints exactly (model.layers.0.self_attn.q_proj.weight, ...).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config.h"

namespace aha::policy {

struct TransformerConfig {
    int vocab_size = 64;
    int hidden_size = 128;
    int num_layers = 4;
    int num_heads = 4;
    int num_kv_heads = 2;      // grouped-query attention when < num_heads
    int intermediate_size = 384;
    int max_position = 256;
    double rope_theta = 10000.0;
    double rms_norm_eps = 1e-6;
    bool tie_word_embeddings = true;
    bool attention_bias = false;  // Qwen2 has q/k/v biases; Llama does not

    int head_dim() const { return hidden_size / num_heads; }

    static TransformerConfig from_json(ConfigReader r);  // aha's own keys (above)
    static TransformerConfig from_hf_json(const Json& j, const std::string& source);  // HF config.json
    Json to_json() const;
    void validate(const std::string& path) const;
};

// Keys and values of every layer for incremental decoding, preallocated to `capacity` positions.
struct KVCache {
    std::vector<torch::Tensor> keys;    // per layer [B, Hkv, capacity, D]
    std::vector<torch::Tensor> values;  // per layer [B, Hkv, capacity, D]
    torch::Tensor key_valid;            // [B, capacity] bool: the position holds a real (non-pad) token
    int64_t length = 0;                 // positions filled so far

    static KVCache allocate(const TransformerConfig& c, int64_t batch, int64_t capacity, torch::TensorOptions o);
    int64_t capacity() const { return key_valid.size(1); }
};

class RMSNormImpl : public torch::nn::Cloneable<RMSNormImpl> {
 public:
    RMSNormImpl(int64_t dim, double eps);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight;

 private:
    int64_t dim_;
    double eps_;
};
TORCH_MODULE(RMSNorm);

class AttentionImpl : public torch::nn::Cloneable<AttentionImpl> {
 public:
    AttentionImpl(const TransformerConfig& c, int layer);
    void reset() override;
    // x [B, T, C]; cos/sin [B, 1, T, D]; mask [B, 1, T, S] bool (true = attend).
    torch::Tensor forward(const torch::Tensor& x,
                          const torch::Tensor& cos,
                          const torch::Tensor& sin,
                          const torch::Tensor& mask,
                          KVCache* cache);
    torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
    TransformerConfig c_;
    int layer_;
};
TORCH_MODULE(Attention);

class MLPImpl : public torch::nn::Cloneable<MLPImpl> {
 public:
    explicit MLPImpl(const TransformerConfig& c);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x);  // SwiGLU: down(silu(gate(x)) * up(x))
    torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
    TransformerConfig c_;
};
TORCH_MODULE(MLP);

class DecoderLayerImpl : public torch::nn::Cloneable<DecoderLayerImpl> {
 public:
    DecoderLayerImpl(const TransformerConfig& c, int layer);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x,
                          const torch::Tensor& cos,
                          const torch::Tensor& sin,
                          const torch::Tensor& mask,
                          KVCache* cache);
    RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
    Attention self_attn{nullptr};
    MLP mlp{nullptr};

 private:
    TransformerConfig c_;
    int layer_;
};
TORCH_MODULE(DecoderLayer);

// The backbone, registered as "model" inside CausalLM.
class TransformerModelImpl : public torch::nn::Cloneable<TransformerModelImpl> {
 public:
    explicit TransformerModelImpl(const TransformerConfig& c);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& input_ids,
                          const torch::Tensor& position_ids,
                          const torch::Tensor& token_valid,
                          KVCache* cache);
    torch::nn::Embedding embed_tokens{nullptr};
    torch::nn::ModuleList layers{nullptr};
    RMSNorm norm{nullptr};

 private:
    TransformerConfig c_;
    // Rotary inverse frequencies [D/2], computed once (not a parameter, so names stay HF's).
    torch::Tensor inv_freq_;
};
TORCH_MODULE(TransformerModel);

class CausalLMImpl : public torch::nn::Cloneable<CausalLMImpl> {
 public:
    explicit CausalLMImpl(const TransformerConfig& c);
    void reset() override;

    // input_ids [B, T] int64; position_ids [B, T] int64; token_valid [B, T] bool (false for padding).
    // With a cache, the T tokens are appended after cache->length and attend to everything before them.
    // Returns logits [B, T, V].
    torch::Tensor forward(const torch::Tensor& input_ids,
                          const torch::Tensor& position_ids,
                          const torch::Tensor& token_valid,
                          KVCache* cache = nullptr);

    const TransformerConfig& config() const { return c_; }
    int64_t num_parameters() const;

    TransformerModel model{nullptr};
    torch::nn::Linear lm_head{nullptr};  // null when the embeddings are tied

 private:
    TransformerConfig c_;
};
TORCH_MODULE(CausalLM);

// Positions for left-padded rows: 0 at the first real token, counting only real tokens. [B, T] -> [B, T]
torch::Tensor positions_from_mask(const torch::Tensor& token_valid);

}  // namespace aha::policy
