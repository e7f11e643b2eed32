// The make_batch stage of an RL step: the only place that computes what the update needs from the kept
// groups: the rewards it learns from (KL in the reward, the random-reward control), advantages, the
// reference and old log-probs, the rollout-correction weights, the loss mask, and the mini-batch plan
// with each mini-batch's loss normaliser.
#pragma once

#include <vector>

#include "policy/transformer.h"
#include "rl/grpo_config.h"
#include "rl/losses.h"
#include "rl/seeds.h"
#include "rl/step_data.h"

namespace aha::rl {

// One optimizer step's rows, its normaliser and its gradient-accumulation split.
struct MiniBatch {
    torch::Tensor rows;                 // [M] int64 rows of the batch
    std::vector<torch::Tensor> micro;   // rows split by rl.micro_batch_tokens (one entry when off)
    LossNormalizer norm;                // of the whole mini-batch, so that micro-batch losses add up
    double loss_tokens = 0;             // loss tokens of the mini-batch
};

struct Batch {
    rollout::Rollout rollout;
    torch::Tensor loss_mask;     // [N, C] bool: completion tokens that enter the loss
    torch::Tensor advantages;    // [N]
    torch::Tensor old_logprobs;  // [N, C] the ratio's denominator: the engine's, or the trainer's (TIS on)
    torch::Tensor ref_logprobs;  // [N, C] the frozen reference (KL in the loss); undefined otherwise
    torch::Tensor is_weights;    // [N, C] rollout-correction weights (TIS on); undefined otherwise
    std::vector<std::vector<MiniBatch>> epochs;  // the update's plan: epochs of mini-batches, in order
};

// The models make_batch forwards (without gradients): the policy before this step's update, and the
// frozen reference (null when kl_coef is 0).
struct BatchModels {
    policy::CausalLMImpl& policy;
    policy::CausalLMImpl* reference = nullptr;
};

// Fills the batch metrics (truncation, KL reward penalty, zero-advantage groups, IS weights).
Batch make_batch(const ScoredRollout& kept, const GrpoConfig& config, const BatchModels& models, const StepSeeds& seeds,
                 StepMetrics& m);

}  // namespace aha::rl
