// The architecture of a decoder-only policy, read from a Hugging Face config.json (`model_type` decides) or
// from aha's own experiment config. One struct covers the supported families:
//   dense  llama (incl. rope_scaling llama3), qwen2 (qkv bias), qwen3 (q/k norm, explicit head_dim)
//   MoE    qwen2_moe (shared expert with a sigmoid gate), qwen3_moe,
//          deepseek_v2 / deepseek_v3 (Multi-head Latent Attention, DeepSeekMoE routing, YaRN)
// No torch here: the CLI and the config tests read it without LibTorch.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace aha::policy {

// Rotary position embedding and its context-extension variants, as transformers computes them.
struct RopeConfig {
    std::string type = "default";  // default | linear | llama3 | yarn
    double theta = 10000.0;
    double factor = 1.0;               // linear, llama3, yarn
    double low_freq_factor = 1.0;      // llama3
    double high_freq_factor = 4.0;     // llama3
    int original_max_position = 0;     // llama3, yarn
    double beta_fast = 32.0;           // yarn
    double beta_slow = 1.0;            // yarn
    double mscale = 0.0;               // yarn (0 = absent)
    double mscale_all_dim = 0.0;       // yarn (0 = absent); also scales DeepSeek's softmax
    double attention_factor = 0.0;     // yarn cos/sin scale (0 = derived from factor and mscales)
    bool truncate = true;              // yarn: round the correction range outwards
    bool interleave = false;           // DeepSeek: rotary pairs are (x0, x1), (x2, x3), ...
};

// Mixture-of-Experts feed-forward (zero experts = dense model).
struct MoeConfig {
    int num_experts = 0;                 // routed experts
    int top_k = 0;                       // experts per token
    int intermediate_size = 0;           // per routed expert
    int shared_intermediate_size = 0;    // 0 = no shared expert
    bool shared_expert_gate = false;     // Qwen-MoE: sigmoid(Linear(h, 1)) scales the shared expert
    bool norm_topk_prob = false;         // renormalise the k selected weights to sum to 1
    std::string scoring = "softmax";     // softmax | sigmoid
    int n_group = 1;                     // group-limited routing: experts split into n_group groups,
    int topk_group = 1;                  //   only the best topk_group groups are eligible
    std::string group_score = "max";     // max (DeepSeek-V2) | top2_sum (DeepSeek-V3)
    double routed_scaling_factor = 1.0;  // multiplies the routed experts' weights
    bool correction_bias = false;        // e_score_correction_bias: changes selection, never weights
    bool router_fp32 = false;            // router logits in fp32 (DeepSeek) or the model dtype (Qwen)
    std::vector<bool> sparse_layers;     // per layer: MoE (true) or dense MLP (false)
};

// Multi-head Latent Attention (DeepSeek-V2/V3).
struct MlaConfig {
    bool enabled = false;
    int q_lora_rank = 0;  // 0 = queries straight from q_proj
    int kv_lora_rank = 0;
    int qk_nope_head_dim = 0;
    int qk_rope_head_dim = 0;
    int v_head_dim = 0;
    int qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
};

struct TransformerConfig {
    std::string model_type = "llama";
    int vocab_size = 64;
    int hidden_size = 128;
    int num_layers = 4;
    int num_heads = 4;
    int num_kv_heads = 2;      // grouped-query attention when < num_heads
    int head_dim_override = 0; // 0 = hidden_size / num_heads
    int intermediate_size = 384;
    int max_position = 256;
    double rope_theta = 10000.0;
    double rms_norm_eps = 1e-6;
    bool tie_word_embeddings = true;
    bool attention_bias = false;  // q/k/v biases (Qwen2, or Llama's attention_bias)
    bool o_bias = false;          // o_proj bias (Llama's attention_bias)
    bool mlp_bias = false;        // Llama's mlp_bias
    bool qk_norm = false;         // Qwen3: RMSNorm over each head of q and k
    RopeConfig rope;              // rope.theta mirrors rope_theta
    MoeConfig moe;
    MlaConfig mla;
    // The config.json this came from, written back on export (empty for aha's own configs).
    Json hf_config;

    int head_dim() const { return head_dim_override > 0 ? head_dim_override : hidden_size / num_heads; }
    int rotary_dim() const { return mla.enabled ? mla.qk_rope_head_dim : head_dim(); }
    bool is_moe() const { return moe.num_experts > 0; }
    bool moe_layer(int layer) const {
        return is_moe() && layer < static_cast<int>(moe.sparse_layers.size()) && moe.sparse_layers[layer];
    }
    // "qwen" (mlp.shared_expert, shared_expert_gate) or "deepseek" (mlp.shared_experts) tensor names.
    bool deepseek_names() const { return model_type == "deepseek_v2" || model_type == "deepseek_v3"; }

    static TransformerConfig from_json(ConfigReader r);  // aha's own keys (dense llama/qwen2 only)
    // A Hugging Face config.json; `source` names it in errors.
    static TransformerConfig from_hf_json(const Json& j, const std::string& source);
    Json to_json() const;
    // The config.json transformers needs to rebuild this model (hf_config when it came from one).
    Json to_hf_json(const std::string& dtype_name) const;
    void validate(const std::string& path) const;
};

// The model families from_hf_json accepts, for error messages and docs.
const std::vector<std::string>& supported_model_types();

}  // namespace aha::policy
