// The trainer's forwards over rollout rows; see rollout_forward.h.
#include "rl/rollout_forward.h"

#include <algorithm>

#include "policy/token_logprobs.h"

namespace aha::rl {

// One forward over the rows `rows` of a rollout with their common padding trimmed (prompt columns
// before the first real token, completion columns after the last); the output projection runs on
// the tokens of `select` [N, C] only.
TokenOutputs rows_forward(policy::CausalLMImpl& model,
                          const rollout::Rollout& r,
                          const torch::Tensor& rows,
                          const torch::Tensor& select,
                          double temperature) {
    auto prompt_valid = r.prompt_valid.index_select(0, rows);
    auto completion_valid = r.completion_valid.index_select(0, rows);
    const int64_t first = prompt_valid.any(0).to(torch::kLong).argmax().item<int64_t>();
    const int64_t P = prompt_valid.size(1) - first;
    const int64_t C = std::max<int64_t>(1, completion_valid.any(0).sum().item<int64_t>());  // right-padded
    prompt_valid = prompt_valid.narrow(1, first, P);
    completion_valid = completion_valid.narrow(1, 0, C);
    auto completion_ids = r.completion_ids.index_select(0, rows).narrow(1, 0, C);
    auto ids = torch::cat({r.prompt_ids.index_select(0, rows).narrow(1, first, P), completion_ids}, 1);
    auto valid = torch::cat({prompt_valid, completion_valid}, 1);
    const int64_t n = rows.size(0);
    auto h = model.hidden_states(ids, policy::positions_from_mask(valid), valid).narrow(1, P - 1, C);  // [n, C, H]
    auto idx = (select.index_select(0, rows).narrow(1, 0, C) & completion_valid).reshape(-1).nonzero().squeeze(1);
    auto t = policy::token_logprobs(h.reshape({n * C, h.size(2)}).index_select(0, idx), model.output_weight(),
                                    completion_ids.reshape(-1).index_select(0, idx), temperature);
    auto place = [&](const torch::Tensor& v) { return torch::zeros({n * C}, v.options()).index_copy(0, idx, v).view({n, C}); };
    return {place(t.logprobs), place(t.entropy), C};
}

// Splits `rows` in order into micro-batches of at most `max_tokens` real tokens each (a longer row goes
// alone); max_tokens = 0 keeps them together.
std::vector<torch::Tensor> micro_batches(const torch::Tensor& rows, const torch::Tensor& row_tokens, int64_t max_tokens) {
    if (max_tokens <= 0) return {rows};
    std::vector<torch::Tensor> out;
    std::vector<int64_t> current;
    int64_t tokens = 0;
    auto ids = rows.accessor<int64_t, 1>();
    auto counts = row_tokens.accessor<int64_t, 1>();
    for (int64_t i = 0; i < ids.size(0); ++i) {
        const int64_t t = counts[ids[i]];
        if (!current.empty() && tokens + t > max_tokens) {
            out.push_back(torch::tensor(current, torch::kLong));
            current.clear();
            tokens = 0;
        }
        current.push_back(ids[i]);
        tokens += t;
    }
    if (!current.empty()) out.push_back(torch::tensor(current, torch::kLong));
    return out;
}

// Log-probs [N, C] of every completion token of a rollout under a model, without gradients, in
// micro-batches.
torch::Tensor rollout_logprobs(policy::CausalLMImpl& model,
                               const rollout::Rollout& r,
                               const torch::Tensor& row_tokens,
                               int64_t max_tokens,
                               double temperature) {
    torch::NoGradGuard no_grad;
    auto out = torch::zeros(r.completion_ids.sizes(), torch::kFloat32);
    for (const auto& rows : micro_batches(torch::arange(r.size()), row_tokens, max_tokens)) {
        TokenOutputs t = rows_forward(model, r, rows, r.completion_valid, temperature);
        out.narrow(1, 0, t.width).index_copy_(0, rows, t.logprobs);
    }
    return out;
}

// Real (prompt + completion) tokens of each row [N] int64: what micro-batches are sized by.
torch::Tensor row_tokens(const rollout::Rollout& r) {
    return r.prompt_valid.sum(1) + r.completion_valid.sum(1);
}

torch::Tensor completion_logprobs(policy::CausalLM& model, const rollout::Rollout& r, double temperature) {
    return rollout_logprobs(*model, r, row_tokens(r), 0, temperature);
}

}  // namespace aha::rl
