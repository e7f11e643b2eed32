// Policy losses, KL estimators and loss aggregations, registered by name. Every loss takes the same
// PolicyLossInput; ratio = exp(logp - old_logp) per token.
//   ppo_clip   PPO's clipped surrogate with separate ranges [1 - clip_low, 1 + clip_high] (DAPO's
//              clip-higher when clip_high > clip_low); clip_ratio_c > 1 adds dual-clip (Ye et al.
//              2020): for negative advantages the loss is capped at -A * clip_ratio_c
//   gspo       (Zheng et al. 2025) the sequence's geometric-mean ratio exp(mean_t(logp - old)),
//              carried per token as sg(sequence ratio) * p / sg(p), in the same clipped surrogate
//   cispo      (MiniMax-M1, 2025) -sg(clip(ratio, 1 - clip_low, 1 + clip_high)) * A * logp: the IS
//              weight is clipped and never stops a token's gradient
//   reinforce  -A * logp: no ratio, no clipping (the on-policy policy gradient)
// KL to a frozen reference (kl_coef > 0), per token, d = ref - logp (Schulman 2020's estimators):
//   k1 = -d,  k2 = d^2 / 2,  k3 = exp(d) - d - 1 (GRPO's low-variance choice; >= 0)
// Aggregations over completion tokens (mask) of a batch:
//   token_mean               sum over all tokens / number of tokens                       (DAPO, TRL default)
//   seq_mean_token_mean      mean over sequences of each sequence's token mean            (original GRPO)
//   seq_mean_token_sum       mean over sequences of each sequence's token sum
//   seq_mean_token_sum_norm  sum over all tokens / (sequences * max_completion_length)    (Dr. GRPO)
// Entropy bonus: loss -= entropy_coef * aggregate(per-token entropy), with the loss's aggregation (verl)
// or a named one (TRL takes token_mean whatever the loss).
// Rollout/trainer mismatch (truncated importance sampling, Yao et al. 2025): the engine's log-probs
// differ slightly from the trainer's; each token's policy term is weighted by the ratio
// w = exp(old - rollout) of the trainer's (old) to the engine's (rollout) log-probs, per token or per
// sequence (exp of the sum over the sequence), truncated to [min, max] or zeroed outside it (TRL's
// token_truncate, token_mask, sequence_truncate, sequence_mask). The KL and entropy terms are not weighted.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config.h"

namespace aha::rl {

struct TisConfig {
    std::string mode = "off";  // off, token_truncate, token_mask, sequence_truncate, sequence_mask
    double min = 0.0;          // lower bound of the ratio (0 = none)
    double max = 2.0;          // upper bound (the cap C)

    bool enabled() const { return mode != "off"; }
    static TisConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct PolicyLossConfig {
    std::string name = "ppo_clip";
    double clip_low = 0.2;   // ratio lower bound is 1 - clip_low
    double clip_high = 0.2;  // ratio upper bound is 1 + clip_high
    std::string aggregation = "token_mean";
    double kl_coef = 0.0;    // 0 = no KL penalty and no reference model
    std::string kl_estimator = "k3";
    // Where the KL goes: false = a per-token loss term; true = subtracted from each completion's
    // reward before advantages (kl_coef * sum over its tokens of the estimate between the sampling
    // policy and the reference, as verl's use_kl_in_reward), with no KL term in the loss.
    bool kl_in_reward = false;
    double clip_ratio_c = 0.0;  // ppo_clip dual-clip bound for negative advantages (> 1); 0 = off
    double entropy_coef = 0.0;  // entropy bonus; 0 = off
    std::string entropy_aggregation = "loss";  // "loss" (the loss's aggregation) or an aggregation name
    TisConfig tis;  // key tis: rollout/trainer mismatch correction; off by default

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
    torch::Tensor entropy;       // [N, C] per-token entropy (with grad when entropy_coef > 0); optional
    torch::Tensor is_weights;    // [N, C] rollout correction weights, no grad (rollout_is_weights); optional
};

struct PolicyLossOutput {
    torch::Tensor loss;         // scalar, this micro-batch's share of the batch loss
    double clipped_tokens = 0;  // tokens whose ratio was clipped (sum; divide by total tokens)
    // The same split by end (as TRL counts them): below 1 - clip_low with a negative advantage, above
    // 1 + clip_high with a positive one (cispo: the IS weight cut at either end, whatever the sign).
    double clipped_low = 0, clipped_high = 0;
    double kl_sum = 0;          // sum of the per-token KL estimate (when a reference is given)
    double entropy_sum = 0;     // sum of the per-token entropy (when given)
    double approx_kl_sum = 0;   // sum of (ratio - 1) - log ratio: k3 of KL(old || current)
};

std::vector<std::string> policy_loss_names();
std::vector<std::string> aggregation_names();
std::vector<std::string> kl_estimator_names();
std::vector<std::string> tis_mode_names();

// The truncated importance-sampling weights [N, C] (no grad) of the trainer's log-probs `old` against the
// sampler's `rollout`; masked tokens contribute no difference (weight 1 for token modes).
torch::Tensor rollout_is_weights(const TisConfig& config,
                                 const torch::Tensor& old_logprobs,
                                 const torch::Tensor& rollout_logprobs,
                                 const torch::Tensor& mask);

// Per-sequence reward penalty [N]: kl_coef * sum over mask of the estimate (kl_in_reward).
torch::Tensor kl_reward_penalty(const PolicyLossConfig& config,
                                const torch::Tensor& logprobs,
                                const torch::Tensor& ref_logprobs,
                                const torch::Tensor& mask);

// Per-token KL(policy || reference) estimate [N, C] by estimator name (k1, k2, k3).
torch::Tensor kl_estimate(const std::string& estimator,
                          const torch::Tensor& logprobs,
                          const torch::Tensor& ref_logprobs);

// Aggregates per-token values [N, C] over `mask` with the named aggregation.
torch::Tensor aggregate(const std::string& aggregation,
                        const torch::Tensor& per_token,
                        const torch::Tensor& mask,
                        const LossNormalizer& norm);

PolicyLossOutput policy_loss(const PolicyLossConfig& config, const PolicyLossInput& in, const LossNormalizer& norm);

// k3 estimator of KL(policy || reference) per token: exp(ref - logp) - (ref - logp) - 1 (>= 0).
torch::Tensor k3_kl(const torch::Tensor& logprobs, const torch::Tensor& ref_logprobs);

}  // namespace aha::rl
