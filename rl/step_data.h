// The plain data that the stages of an RL step pass along: prompts (PromptItem) -> scored groups
// (ScoredRollout, from collect) -> the trained batch (Batch, from make_batch) -> StepMetrics (from
// every stage). No stage holds another's state.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "rollout/engine.h"
#include "verifiers/reward.h"

namespace aha::rl {

// A prompt with its expected answer, already rendered through the prompt template, and where it came from.
struct PromptItem {
    std::string prompt;  // template applied
    std::string answer;  // what the verifier expects
    std::string reward;  // the reward's name for this prompt (its data source's); "" = the run's rl.reward.name
    std::string source;  // the data source's name ("" when made in code)
    std::shared_ptr<const Json> fields;  // the dataset row (null when made in code), for rewards that read it
};

// Sampled groups with their scores: the G samples of a prompt are consecutive rows.
struct ScoredRollout {
    rollout::Rollout rollout;
    std::vector<PromptItem> items;         // one per group: the prompt its G rows answer
    std::vector<std::string> completions;  // decoded text, end token excluded
    std::vector<verifiers::VerifierResult> results;
    torch::Tensor rewards;    // [N] the verifier's
    torch::Tensor shaped;     // [N] the verifier's plus DAPO's overlong penalty, rl.truncated_reward on truncated ones
    torch::Tensor lengths;    // [N] float32 generated tokens
    torch::Tensor truncated;  // [N] bool: no end token
    double seconds_rollout = 0, seconds_score = 0;  // sampling on the engine; decoding and the verifiers

    int64_t size() const { return rollout.size(); }
};

// Reward, accuracy, format, length and group-outcome metrics cover every completion sampled in the step
// (all dynamic-sampling rounds); the truncation rate, the KL reward penalty and the update metrics cover
// the trained batch. reward_mean is the verifier's reward plus overlong shaping, before any KL penalty.
struct StepMetrics {
    int step = 0;
    double reward_mean = 0, accuracy = 0, format_rate = 0;
    double completion_length = 0;  // mean generated tokens
    double truncated_rate = 0;     // completions that hit max_new_tokens without the end token
    double reward_std = 0;              // over the batch
    double completion_length_max = 0;
    double all_correct_groups = 0, all_wrong_groups = 0;  // shares of groups
    double loss = 0, kl = 0, clip_fraction = 0, grad_norm = 0;
    double kl_reward_penalty = 0;  // mean per completion of what kl_in_reward subtracted
    double clip_fraction_low = 0, clip_fraction_high = 0;  // clip_fraction split by end (losses.h)
    double learning_rate = 0;  // the rate of this step's optimizer updates
    double entropy = 0;        // mean per loss token of the policy's entropy (at the sampling temperature)
    double approx_kl = 0;      // mean per loss token of (ratio - 1) - log ratio against the old policy
    // Rollout correction (rl.loss.tis): the IS weights over loss tokens, and |trainer - engine| log-prob.
    double is_weight_mean = 0, is_weight_min = 0, is_weight_max = 0;
    double rollout_logprob_diff_mean = 0, rollout_logprob_diff_max = 0;
    double zero_advantage_groups = 0;  // share of groups whose rewards were all equal
    // MoE policies: max/mean expert load of the update's forwards, averaged over MoE layers (1 = balanced),
    // and the balance loss (when aux_loss_coef > 0). Zero for dense policies.
    double expert_balance = 0, aux_loss = 0;
    double trained_groups = 0;          // groups in the update's batch
    double dynamic_sampling_rounds = 0;  // sampling rounds run (dynamic sampling on)
    double dynamic_sampling_kept = 0;    // share of sampled groups kept (dynamic sampling on)
    // Seconds of each stage: sampling on the engine, decoding and verifying, making the batch (reference
    // and old log-probs, advantages), and the optimizer update.
    double seconds_rollout = 0, seconds_score = 0, seconds_batch = 0, seconds_update = 0;

    Json to_json() const;
};

// Scores one decoded completion of a prompt (item.answer is what the verifier expects).
using RewardFn = std::function<verifiers::VerifierResult(const std::string& completion, const PromptItem& item)>;

// Returns the next `count` prompts of the training stream.
using PromptSource = std::function<std::vector<PromptItem>(int count)>;

}  // namespace aha::rl
