// Chunked log-probs and entropies with a hand-written backward; see token_logprobs.h.
//   z = h W^T / t,  lse = logsumexp(z),  p = exp(z - lse),  logp = z_y - lse,  H = lse - sum p z
//   dlogp/dz = onehot(y) - p,   dH/dz = -p (z - sum p z)
#include "policy/token_logprobs.h"

#include <algorithm>

namespace aha::policy {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

int64_t rows_per_chunk(int64_t requested, int64_t vocab) {
    if (requested > 0) return requested;
    constexpr int64_t kLogitsPerChunk = int64_t{1} << 24;
    return std::max<int64_t>(1, kLogitsPerChunk / std::max<int64_t>(1, vocab));
}

// Scaled float32 logits of rows [start, start + n).
torch::Tensor chunk_logits(const torch::Tensor& hidden, const torch::Tensor& weight, int64_t start, int64_t n, double inv_t) {
    return torch::matmul(hidden.narrow(0, start, n), weight.t()).to(torch::kFloat32).mul_(inv_t);
}

struct TokenLogprobsFn : torch::autograd::Function<TokenLogprobsFn> {
    static variable_list forward(AutogradContext* ctx,
                                 const torch::Tensor& hidden,
                                 const torch::Tensor& weight,
                                 const torch::Tensor& targets,
                                 double temperature,
                                 int64_t chunk) {
        const int64_t rows = hidden.size(0);
        const double inv_t = 1.0 / temperature;
        auto f32 = hidden.options().dtype(torch::kFloat32);
        auto logp = torch::empty({rows}, f32), entropy = torch::empty({rows}, f32);
        auto lse = torch::empty({rows}, f32), mean_z = torch::empty({rows}, f32);
        for (int64_t s = 0; s < rows; s += chunk) {
            const int64_t n = std::min(chunk, rows - s);
            auto z = chunk_logits(hidden, weight, s, n, inv_t);          // [n, V]
            auto l = z.logsumexp(-1, true);                               // [n, 1]
            auto mz = (torch::exp(z - l) * z).sum(-1);                    // [n]
            lse.narrow(0, s, n).copy_(l.squeeze(-1));
            mean_z.narrow(0, s, n).copy_(mz);
            entropy.narrow(0, s, n).copy_(l.squeeze(-1) - mz);
            logp.narrow(0, s, n).copy_(z.gather(-1, targets.narrow(0, s, n).unsqueeze(-1)).squeeze(-1) - l.squeeze(-1));
        }
        ctx->set_materialize_grads(false);  // an output the loss does not use (often entropy) costs nothing
        ctx->save_for_backward({hidden, weight, targets, lse, mean_z});
        ctx->saved_data["inv_t"] = inv_t;
        ctx->saved_data["chunk"] = chunk;
        return {logp, entropy};
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const auto &hidden = saved[0], &weight = saved[1], &targets = saved[2], &lse = saved[3], &mean_z = saved[4];
        const double inv_t = ctx->saved_data["inv_t"].toDouble();
        const int64_t chunk = ctx->saved_data["chunk"].toInt();
        const torch::Tensor &g_logp = grads[0], &g_entropy = grads[1];
        const int64_t rows = hidden.size(0);
        const bool want_h = ctx->needs_input_grad(0), want_w = ctx->needs_input_grad(1);
        torch::Tensor grad_h = want_h ? torch::empty_like(hidden) : torch::Tensor();
        // Accumulated over chunks in float32, rounded once to the weight's dtype.
        torch::Tensor grad_w = want_w ? torch::zeros(weight.sizes(), weight.options().dtype(torch::kFloat32)) : torch::Tensor();
        for (int64_t s = 0; s < rows; s += chunk) {
            const int64_t n = std::min(chunk, rows - s);
            auto z = chunk_logits(hidden, weight, s, n, inv_t);                       // [n, V]
            auto p = torch::exp(z - lse.narrow(0, s, n).unsqueeze(-1));               // [n, V]
            auto gz = torch::zeros_like(z);
            if (g_logp.defined()) {
                auto g = g_logp.narrow(0, s, n).to(torch::kFloat32).unsqueeze(-1);    // [n, 1]
                gz.sub_(p * g).scatter_add_(-1, targets.narrow(0, s, n).unsqueeze(-1), g);
            }
            if (g_entropy.defined()) {
                auto g = g_entropy.narrow(0, s, n).to(torch::kFloat32).unsqueeze(-1);
                gz.sub_(p * (z - mean_z.narrow(0, s, n).unsqueeze(-1)) * g);
            }
            gz.mul_(inv_t);
            auto gz_lp = gz.to(weight.scalar_type());
            if (want_h) grad_h.narrow(0, s, n).copy_(torch::matmul(gz_lp, weight));
            if (want_w) grad_w.add_(torch::matmul(gz_lp.t(), hidden.narrow(0, s, n)).to(torch::kFloat32));
        }
        return {grad_h, want_w ? grad_w.to(weight.scalar_type()) : torch::Tensor(), torch::Tensor(), torch::Tensor(),
                torch::Tensor()};
    }
};

}  // namespace

TokenLogprobs token_logprobs(const torch::Tensor& hidden,
                             const torch::Tensor& weight,
                             const torch::Tensor& targets,
                             double temperature,
                             int64_t chunk_rows) {
    TORCH_CHECK(hidden.dim() == 2 && weight.dim() == 2 && hidden.size(1) == weight.size(1),
                "token_logprobs: expected hidden [T, H] and weight [V, H]");
    TORCH_CHECK(targets.dim() == 1 && targets.size(0) == hidden.size(0), "token_logprobs: expected targets [T]");
    TORCH_CHECK(temperature > 0, "token_logprobs: temperature must be > 0");
    auto out = TokenLogprobsFn::apply(hidden, weight, targets.to(torch::kLong), temperature,
                                      rows_per_chunk(chunk_rows, weight.size(0)));
    return {out[0], out[1]};
}

}  // namespace aha::policy
