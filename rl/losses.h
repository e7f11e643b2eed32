// Policy losses and loss aggregations, registered by name.
// Policy loss "ppo_clip": the PPO clipped surrogate on per-token ratios exp(logp - old_logp), with separate
// lower and upper clip ranges (DAPO's clip-higher when clip_high > clip_low), plus an optional k3 KL penalty
// to a frozen reference (GRPO, Shao et al. 2024: per token, kl_coef * (exp(ref-logp) - (ref-logp) - 1)).
// Aggregations over completion tokens (mask) of a batch:
//   token_mean               sum over all tokens / number of tokens                       (DAPO, TRL default)
//   seq_mean_token_mean      mean over sequences of each sequence's token mean            (original GRPO)
//   seq_mean_token_sum_norm  sum over all tokens / (sequences * max_completion_length)    (Dr. GRPO)
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config.h"

namespace aha::rl {

struct PolicyLossConfig {
    std::string name = "ppo_clip";
    double clip_low = 0.2;   // ratio lower bound is 1 - clip_low
    double clip_high = 0.2;  // ratio upper bound is 1 + clip_high
    std::string aggregation = "token_mean";
    double kl_coef = 0.0;    // 0 = no KL penalty and no reference model

    static PolicyLossConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

// The normalisers of the whole batch, so that a loss computed over micro-batches and summed equals the
// loss of the whole batch.
struct LossNormalizer {
    double total_tokens = 1;     // completion tokens in the whole batch
    double total_sequences = 1;  // sequences in the whole batch
    double max_length = 1;       // the configured max completion length (Dr. GRPO)

    static LossNormalizer of(const torch::Tensor& mask, double max_length);
};

struct PolicyLossInput {
    torch::Tensor logprobs;      // [N, C] current policy, with grad
    torch::Tensor old_logprobs;  // [N, C] the policy that sampled, no grad
    torch::Tensor advantages;    // [N]
    torch::Tensor mask;          // [N, C] bool: completion tokens
    torch::Tensor ref_logprobs;  // [N, C] frozen reference; undefined when kl_coef == 0
};

struct PolicyLossOutput {
    torch::Tensor loss;         // scalar, this micro-batch's share of the batch loss
    double clipped_tokens = 0;  // tokens whose ratio was clipped (sum; divide by total tokens)
    double kl_sum = 0;          // sum of per-token k3 KL (when a reference is given)
};

std::vector<std::string> policy_loss_names();
std::vector<std::string> aggregation_names();

// Aggregates per-token values [N, C] over `mask` with the named aggregation.
torch::Tensor aggregate(const std::string& aggregation,
                        const torch::Tensor& per_token,
                        const torch::Tensor& mask,
                        const LossNormalizer& norm);

PolicyLossOutput policy_loss(const PolicyLossConfig& config, const PolicyLossInput& in, const LossNormalizer& norm);

// k3 estimator of KL(policy || reference) per token: exp(ref - logp) - (ref - logp) - 1 (>= 0).
torch::Tensor k3_kl(const torch::Tensor& logprobs, const torch::Tensor& ref_logprobs);

}  // namespace aha::rl
