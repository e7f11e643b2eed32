// Rotary position embeddings as transformers computes them: the frequency tables of rope types default,
// linear, llama3 and yarn, and the rotation in the half-split (Llama/Qwen) or interleaved (DeepSeek) layout.
#pragma once

#include <torch/torch.h>

#include <utility>

#include "policy/model_config.h"

namespace aha::policy {

// Rotary inverse frequencies [dim/2] (fp32) and the cos/sin scale, as transformers computes them for
// rope.type default/linear/llama3/yarn.
std::pair<torch::Tensor, double> rope_frequencies(const RopeConfig& rope, int dim);

// YaRN's attention temperature: 0.1 * mscale * ln(scale) + 1 (1 when scale <= 1).
double yarn_mscale(double scale, double mscale);

// x [B, H, T, R]; cos/sin [B, 1, T, R] (each frequency twice: cat(freqs, freqs)).
torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, bool interleave);

}  // namespace aha::policy
