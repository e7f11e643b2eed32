// Decoder-only transformers of the supported open-weight families (see model_config.h): decoder blocks of
// attention (attention.h: grouped-query or latent, with the KV cache) and a dense or Mixture-of-Experts
// feed-forward (layers.h, moe.h), rotary embeddings (rope.h), tied or untied embeddings, and activation
// checkpointing. Module names follow Hugging Face's
// (model.layers.0.self_attn.q_proj.weight, ...); routed experts are stored stacked per layer and mapped to
// HF's per-expert tensors by policy/checkpoint.h.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "policy/attention.h"
#include "policy/moe.h"

namespace aha::policy {

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
    // The rollout engine's packed step: input_ids/positions [N] -> hidden states [N, C].
    torch::Tensor forward_paged(const torch::Tensor& input_ids, const torch::Tensor& positions, const PagedBatch& batch);
    torch::nn::Embedding embed_tokens{nullptr};
    torch::nn::ModuleList layers{nullptr};
    RMSNorm norm{nullptr};
    bool gradient_checkpointing = false;

 private:
    TransformerConfig c_;
    LayerContext rotary_context(const torch::Tensor& position_ids, torch::ScalarType dtype);
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

    // The final hidden states [B, T, H] of the same (no cache); logits = hidden x output_weight()^T.
    torch::Tensor hidden_states(const torch::Tensor& input_ids, const torch::Tensor& position_ids, const torch::Tensor& token_valid);
    // The output projection [V, H]: lm_head's weight, or the embeddings when they are tied.
    const torch::Tensor& output_weight() const { return lm_head ? lm_head->weight : model->embed_tokens->weight; }

    // The rollout engine's packed step (policy/paged_attention.h): the N tokens of several sequences,
    // input_ids/positions [N] int64. Returns the logits of the hidden rows `rows` only: [R, V]. A defined
    // `buffer` receives them (resized as needed) when it has the logits' dtype and device: the caller keeps
    // it across steps instead of allocating R x V floats each time.
    torch::Tensor forward_paged(const torch::Tensor& input_ids,
                                const torch::Tensor& positions,
                                const PagedBatch& batch,
                                const torch::Tensor& rows,
                                torch::Tensor& buffer);

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
    // Turns the balance loss on or off; per_sequence: see MoEImpl::aux_loss_per_sequence.
    void set_aux_loss(bool on, bool per_sequence = false);
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

