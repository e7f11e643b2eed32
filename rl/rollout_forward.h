// The trainer's forwards over rollout rows: per-token log-probs and entropies of completion tokens,
// padding trimmed per batch of rows, the output projection run only on the tokens that need it.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "policy/transformer.h"
#include "rollout/engine.h"

namespace aha::rl {

// Per-token log-probs and entropies of the completion tokens of some rollout rows, zero outside `select`.
struct TokenOutputs {
    torch::Tensor logprobs, entropy;  // [R, width] float32
    int64_t width = 0;                // completion columns kept: the rows' longest completion
};

// One forward over the rows `rows` of a rollout with their common padding trimmed (prompt columns
// before the first real token, completion columns after the last); the output projection runs on
// the tokens of `select` [N, C] only.
TokenOutputs rows_forward(policy::CausalLMImpl& model,
                          const rollout::Rollout& r,
                          const torch::Tensor& rows,
                          const torch::Tensor& select,
                          double temperature);

// Splits `rows` in order into micro-batches of at most `max_tokens` real tokens each (a longer row goes
// alone); max_tokens = 0 keeps them together.
std::vector<torch::Tensor> micro_batches(const torch::Tensor& rows, const torch::Tensor& row_tokens, int64_t max_tokens);

// Real (prompt + completion) tokens of each row [N] int64: what micro-batches are sized by.
torch::Tensor row_tokens(const rollout::Rollout& r);

// Log-probs [N, C] of every completion token of a rollout under a model, without gradients, in
// micro-batches of at most `max_tokens` real tokens.
torch::Tensor rollout_logprobs(policy::CausalLMImpl& model,
                               const rollout::Rollout& r,
                               const torch::Tensor& row_tokens,
                               int64_t max_tokens,
                               double temperature);

// Per-token log-probs [N, C] of the rollout's completion tokens under `model` at `temperature`.
torch::Tensor completion_logprobs(policy::CausalLM& model, const rollout::Rollout& r, double temperature);

}  // namespace aha::rl
