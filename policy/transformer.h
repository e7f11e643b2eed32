// Decoder-only transformers of the supported open-weight families (see model_config.h): RMSNorm, rotary
// embeddings (default, linear, llama3, YaRN; half-split or interleaved), grouped-query attention with optional
// biases and q/k norm, Multi-head Latent Attention, SwiGLU MLPs and Mixture-of-Experts feed-forwards, tied or
// untied embeddings, and a KV cache for incremental decoding. Module names follow Hugging Face's
// (model.layers.0.self_attn.q_proj.weight, ...); routed experts are stored stacked per layer and mapped to
// HF's per-expert tensors by policy/checkpoint.h.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "policy/model_config.h"

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

// Rotary inverse frequencies [dim/2] (fp32) and the cos/sin scale, as transformers computes them for
// rope.type default/linear/llama3/yarn.
std::pair<torch::Tensor, double> rope_frequencies(const RopeConfig& rope, int dim);

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

// What a layer needs besides its input: rotary tables, the attention mask and the cache.
struct LayerContext {
    torch::Tensor cos, sin;     // [B, 1, T, rotary_dim]
    torch::Tensor mask;         // [B, 1, T, S] bool (true = attend); undefined = causal (no padding, no cache prefix)
    torch::Tensor token_valid;  // [B, T] bool (MoE load statistics count real tokens only)
    KVCache* cache = nullptr;
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
};
TORCH_MODULE(MlaAttention);

class MLPImpl : public torch::nn::Cloneable<MLPImpl> {
 public:
    MLPImpl(const TransformerConfig& c, int64_t intermediate_size);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x);  // SwiGLU: down(silu(gate(x)) * up(x))
    torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
    TransformerConfig c_;
    int64_t intermediate_size_;
};
TORCH_MODULE(MLP);

// The router: a [E, C] weight, and DeepSeek-V3's selection-only correction bias (a buffer, not trained by
// gradients; updated by aux-loss-free balancing).
class RouterImpl : public torch::nn::Cloneable<RouterImpl> {
 public:
    explicit RouterImpl(const TransformerConfig& c);
    void reset() override;
    torch::Tensor weight;
    torch::Tensor e_score_correction_bias;  // [E] fp32, undefined when the architecture has none

 private:
    TransformerConfig c_;
};
TORCH_MODULE(Router);

// Routed experts, stacked: gate_up_proj [E, 2I, C] (gate rows then up rows), down_proj [E, C, I].
class ExpertsImpl : public torch::nn::Cloneable<ExpertsImpl> {
 public:
    explicit ExpertsImpl(const TransformerConfig& c);
    void reset() override;
    torch::Tensor gate_up_proj, down_proj;

 private:
    TransformerConfig c_;
};
TORCH_MODULE(Experts);

// Mixture-of-Experts feed-forward. Tokens are dispatched grouped by expert (one sort; then one grouped GEMM
// per projection, or one GEMM pair per expert on its contiguous slice when the shapes are not 16-byte
// aligned or AHA_MOE_LOOP=1 is set), and combined with their routing weights.
class MoEImpl : public torch::nn::Cloneable<MoEImpl> {
 public:
    explicit MoEImpl(const TransformerConfig& c);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& token_valid);  // [B, T, C]

    Router gate{nullptr};
    Experts experts{nullptr};
    MLP shared{nullptr};  // "shared_expert" (Qwen) or "shared_experts" (DeepSeek); null when absent
    torch::nn::Linear shared_expert_gate{nullptr};

    // Statistics of the forwards since the last reset: real tokens routed to each expert [E] (fp64, on the
    // model's device).
    torch::Tensor load;
    bool record_load = true;
    // The classic balance loss of the last forward (E * sum_e f_e * P_e over real tokens; 1 when uniform),
    // computed only when aux_loss_enabled.
    bool aux_loss_enabled = false;
    torch::Tensor aux_loss;

 private:
    // Routing weights [N, k], chosen experts [N, k] and the full scores [N, E] (fp32).
    std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> route(const torch::Tensor& flat);
    TransformerConfig c_;
};
TORCH_MODULE(MoE);

class DecoderLayerImpl : public torch::nn::Cloneable<DecoderLayerImpl> {
 public:
    DecoderLayerImpl(const TransformerConfig& c, int layer);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x, const LayerContext& ctx);
    RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
    Attention attn{nullptr};         // registered as self_attn (standard attention)
    MlaAttention mla_attn{nullptr};  // registered as self_attn (MLA)
    MLP dense{nullptr};              // registered as mlp (dense layer)
    MoE moe{nullptr};                // registered as mlp (MoE layer)

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
    bool gradient_checkpointing = false;

 private:
    TransformerConfig c_;
    // Rotary inverse frequencies [rotary_dim/2] and cos/sin scale, computed once (not parameters).
    torch::Tensor inv_freq_;
    double rope_scale_ = 1.0;
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

    // Recompute each decoder block in the backward pass instead of keeping its activations.
    void set_gradient_checkpointing(bool on) { model->gradient_checkpointing = on; }

    // ---- Mixture-of-Experts controls (no-ops on dense models) ----
    std::vector<MoE> moe_layers() const;
    // Per MoE layer, real tokens routed to each expert since the last reset [E] (fp64, CPU copies).
    std::vector<torch::Tensor> expert_load() const;
    void reset_expert_load();
    // Sum over MoE layers of the balance loss of the last forward (undefined tensor on dense models or
    // when the loss is off).
    torch::Tensor aux_loss() const;
    void set_aux_loss(bool on);
    // Auxiliary-loss-free balancing (DeepSeek-V3): bias_e += gamma * sign(mean load - load_e), from the
    // load recorded since the last reset. Throws when the architecture has no correction bias.
    void update_routing_bias(double gamma);

    TransformerModel model{nullptr};
    torch::nn::Linear lm_head{nullptr};  // null when the embeddings are tied

 private:
    TransformerConfig c_;
};
TORCH_MODULE(CausalLM);

// Positions for left-padded rows: 0 at the first real token, counting only real tokens. [B, T] -> [B, T]
torch::Tensor positions_from_mask(const torch::Tensor& token_valid);

}  // namespace aha::policy
