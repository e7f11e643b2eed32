// Mixture-of-Experts routing and grouped dispatch; see moe.h.
#include "policy/moe.h"

#include <cstdlib>
#include <limits>

namespace aha::policy {

namespace F = torch::nn::functional;

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
        // Per sequence, the same over each row's tokens, averaged over the rows that have real tokens.
        const int64_t S = aux_loss_per_sequence ? B : 1;
        auto real = valid.to(torch::kFloat32).view({S, N / S});                                    // [S, n]
        auto n_real = real.sum(1, /*keepdim=*/true);                                               // [S, 1]
        auto probs = c_.moe.scoring == "sigmoid" ? scores / scores.sum(-1, true) : scores;         // [N, E]
        auto mean_prob = (probs.view({S, N / S, E}) * real.unsqueeze(2)).sum(1) / n_real.clamp_min(1);  // [S, E]
        auto share = torch::zeros({S, E}, probs.options())
                         .scatter_add_(1, chosen.view({S, N / S * k}), real.repeat_interleave(k, 1))
                         .div(n_real.clamp_min(1) * k);                                            // [S, E]
        auto per_row = (share * mean_prob).sum(1) * E;                                             // [S]
        auto rows = n_real.squeeze(1).gt(0).to(per_row.scalar_type());
        aux_loss = (per_row * rows).sum() / rows.sum().clamp_min(1);
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

}  // namespace aha::policy
