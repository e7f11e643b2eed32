// Per-token log-probs and entropies straight from hidden states, in chunks of rows: the [T, V] logits
// (and their float32 log-softmax) are never held for the backward pass. Each chunk's logits are computed,
// reduced to a few numbers per row, and recomputed in the backward pass, as fused linear cross-entropy
// kernels do. For a 152k vocabulary and 4096 completion tokens that is 2.5 GB of float32 logits saved.
#pragma once

#include <torch/torch.h>

namespace aha::policy {

struct TokenLogprobs {
    torch::Tensor logprobs;  // [T] float32: log softmax(h W^T / temperature)[target]
    torch::Tensor entropy;   // [T] float32: entropy of that distribution
};

// hidden [T, H], weight [V, H] (the output projection, same dtype), targets [T] int64. Differentiable
// with respect to hidden and weight through both outputs. chunk_rows = 0 picks chunks of about 16M
// logits. Logits are computed in the weight's dtype and reduced in float32, like the unfused path.
TokenLogprobs token_logprobs(const torch::Tensor& hidden,
                             const torch::Tensor& weight,
                             const torch::Tensor& targets,
                             double temperature,
                             int64_t chunk_rows = 0);

}  // namespace aha::policy
