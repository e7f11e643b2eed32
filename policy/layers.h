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
    torch::Tensor forward_with(const torch::Tensor& x, bool packed_step);  // the same; see project()
    torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
    TransformerConfig c_;
    int64_t intermediate_size_;
};
TORCH_MODULE(MLP);

// nn::Linear with or without bias.
torch::nn::Linear linear(int64_t in, int64_t out, bool bias);

// l(x) = x W^T + b. In the rollout engine's packed steps (packed_step) on CPU in float32 without
// autograd, the product runs on oneDNN's matmul instead of MKL's sgemm: both are IEEE float32 (they
// differ only in summation order), and oneDNN runs the decode shapes 1.15-1.45x faster on the AMD
// Zen 4 CPUs we measured (BENCHMARKS.md). Everywhere else (training, other dtypes and devices, a
// LibTorch without oneDNN), l(x) itself.
torch::Tensor project(torch::nn::Linear& l, const torch::Tensor& x, bool packed_step);

// out [M, V] = x [M, C] W^T for W [V, C], the logits of a packed step into a reused buffer: on CPU
// in float32, oneDNN over slices of W (each slice's result is hot in cache when copied into `out`),
// else one mm_out.
void project_into(torch::Tensor& out, const torch::Tensor& x, const torch::Tensor& weight);

// Normal(0, 0.02) weights, zero biases, norms left at one (what a fresh policy starts from).
void init_normal(torch::nn::Module& m);

}  // namespace aha::policy
