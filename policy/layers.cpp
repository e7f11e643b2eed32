// Shared building blocks; see layers.h.
#include "policy/layers.h"

#include "core/strings.h"

namespace aha::policy {

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

torch::Tensor MLPImpl::forward(const torch::Tensor& x) { return down_proj(torch::silu(gate_proj(x)) * up_proj(x)); }

}  // namespace aha::policy
