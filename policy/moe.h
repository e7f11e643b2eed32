// Mixture-of-Experts feed-forward: the router (softmax or sigmoid scoring, group-limited top-k, DeepSeek-V3's
// selection-only correction bias), the stacked routed experts, and the block that dispatches tokens to them.
#pragma once

#include <torch/torch.h>

#include <tuple>

#include "policy/layers.h"

namespace aha::policy {

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
    // computed only when aux_loss_enabled: over all the forward's tokens, or, when aux_loss_per_sequence,
    // per sequence (f and P over each row's real tokens) and averaged over the rows with any, as DeepSeek-V3's
    // complementary sequence-wise balance loss.
    bool aux_loss_enabled = false;
    bool aux_loss_per_sequence = false;
    torch::Tensor aux_loss;

 private:
    // Routing weights [N, k], chosen experts [N, k] and the full scores [N, E] (fp32).
    std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> route(const torch::Tensor& flat);
    TransformerConfig c_;
};
TORCH_MODULE(MoE);

}  // namespace aha::policy
