// Building blocks shared by every architecture: RMSNorm, the SwiGLU MLP, and the parameter initialisation.
#pragma once

#include <torch/torch.h>

#include "policy/model_config.h"

namespace aha::policy {

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

// nn::Linear with or without bias.
torch::nn::Linear linear(int64_t in, int64_t out, bool bias);

// Normal(0, 0.02) weights, zero biases, norms left at one (what a fresh policy starts from).
void init_normal(torch::nn::Module& m);

}  // namespace aha::policy
