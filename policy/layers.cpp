// Shared building blocks; see layers.h.
#include "policy/layers.h"

#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <optional>
#include <string_view>

#include "core/strings.h"

namespace aha::policy {

namespace {

// y [M, N] = x [M, K] W^T (+ b) through oneDNN (the mkldnn::_linear_pointwise operator of LibTorch).
torch::Tensor onednn_linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    static const auto op =
        c10::Dispatcher::singleton()
            .findSchemaOrThrow("mkldnn::_linear_pointwise", "")
            .typed<at::Tensor(const at::Tensor&,
                              const at::Tensor&,
                              const std::optional<at::Tensor>&,
                              std::string_view,
                              c10::List<std::optional<at::Scalar>>,
                              std::optional<std::string_view>)>();
    return op.call(x,
                   w,
                   b.defined() ? std::optional<at::Tensor>(b) : std::nullopt,
                   "none",
                   c10::List<std::optional<at::Scalar>>(),
                   std::nullopt);
}

bool use_onednn(const torch::Tensor& x, const torch::Tensor& w) {
    static const bool available = at::hasMKLDNN() && c10::Dispatcher::singleton()
                                                         .findSchema({"mkldnn::_linear_pointwise", ""})
                                                         .has_value();
    return available && !torch::GradMode::is_enabled() && x.device().is_cpu() &&
           x.scalar_type() == torch::kFloat32 && w.scalar_type() == torch::kFloat32;
}

}  // namespace

torch::Tensor project(torch::nn::Linear& l, const torch::Tensor& x, bool packed_step) {
    if (!packed_step || !use_onednn(x, l->weight)) return l->forward(x);
    const int64_t K = x.size(-1);
    auto sizes = x.sizes().vec();
    sizes.back() = l->weight.size(0);
    return onednn_linear(x.reshape({-1, K}).contiguous(), l->weight, l->bias).view(sizes);
}

void project_into(torch::Tensor& out, const torch::Tensor& x, const torch::Tensor& weight) {
    if (!use_onednn(x, weight) || !out.is_contiguous()) {
        torch::mm_out(out, x, weight.t());
        return;
    }
    constexpr int64_t kSlice = 4096;  // vocabulary rows per product: [M, 4096] stays in cache
    const int64_t V = weight.size(0);
    auto input = x.contiguous();
    for (int64_t begin = 0; begin < V; begin += kSlice) {
        const int64_t n = std::min(kSlice, V - begin);
        out.narrow(1, begin, n).copy_(onednn_linear(input, weight.narrow(0, begin, n), {}));
    }
}

torch::nn::Linear linear(int64_t in, int64_t out, bool bias) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

void init_normal(torch::nn::Module& m) {
    torch::NoGradGuard no_grad;
    for (auto& p : m.named_parameters()) {
        if (p.key().find("norm") != std::string::npos) continue;
        if (ends_with(p.key(), "bias")) {
            p.value().zero_();
        } else {
            p.value().normal_(0.0, 0.02);
        }
    }
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps) : dim_(dim), eps_(eps) { reset(); }

void RMSNormImpl::reset() { weight = register_parameter("weight", torch::ones({dim_})); }

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
    auto xf = x.to(torch::kFloat32);
    auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps_);
    return weight * normed.to(x.scalar_type());
}

MLPImpl::MLPImpl(const TransformerConfig& c, int64_t intermediate_size) : c_(c), intermediate_size_(intermediate_size) {
    reset();
}

void MLPImpl::reset() {
    gate_proj = register_module("gate_proj", linear(c_.hidden_size, intermediate_size_, c_.mlp_bias));
    up_proj = register_module("up_proj", linear(c_.hidden_size, intermediate_size_, c_.mlp_bias));
    down_proj = register_module("down_proj", linear(intermediate_size_, c_.hidden_size, c_.mlp_bias));
}

torch::Tensor MLPImpl::forward(const torch::Tensor& x) { return forward_with(x, false); }

torch::Tensor MLPImpl::forward_with(const torch::Tensor& x, bool packed_step) {
    auto gate = project(gate_proj, x, packed_step), up = project(up_proj, x, packed_step);
    return project(down_proj, torch::silu(gate) * up, packed_step);
}

}  // namespace aha::policy
