// One GRPO step as plain data passed between stages: problems -> Rollout (sampling) -> ScoredRollout
// (verifiers) -> advantages -> policy update -> StepMetrics. Nothing here owns the whole loop.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "policy/char_tokenizer.h"
#include "policy/transformer.h"
#include "rl/losses.h"
#include "rl/lr_schedule.h"
#include "rl/reward_shaping.h"
#include "rollout/engine.h"
#include "rollout/sampler.h"
#include "verifiers/reward.h"

namespace aha::rl {

// DAPO's dynamic sampling (Yu et al. 2025): groups whose completions all score the same give no
// gradient with group-relative advantages, so they are dropped and more prompts are sampled until
// prompts_per_step groups with a spread are kept or max_rounds rounds of prompts_per_step prompts ran
// (then the step trains on what it kept; on nothing, it skips the update).
struct DynamicSamplingConfig {
    bool enabled = false;
    std::string metric = "accuracy";  // accuracy (verdict) or reward (verifier reward + overlong shaping)
    int max_rounds = 4;

    static std::vector<std::string> metric_names();
    static DynamicSamplingConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct GrpoConfig {
    int steps = 200;
    int prompts_per_step = 32;
    int group_size = 16;           // G completions per prompt
    double learning_rate = 1e-3;   // peak
    LrSchedule lr_schedule;        // key lr_schedule: constant by default
    double weight_decay = 0.0;
    double adam_beta1 = 0.9;
    double adam_beta2 = 0.99;
    double max_grad_norm = 1.0;    // 0 = no clipping
    int epochs = 1;                // passes over each rollout batch (PPO epochs; TRL's num_iterations)
    int mini_batches = 1;          // optimizer steps per pass; > 1 makes later mini-batches off-policy
    // Gradient accumulation: each mini-batch's forward/backward runs in micro-batches of at most this
    // many real (prompt + completion) tokens, padding trimmed per micro-batch; 0 = the whole mini-batch.
    // The loss normaliser is the mini-batch's, so the result does not depend on the split.
    int64_t micro_batch_tokens = 0;
    std::string advantage = "dr_grpo";
    double advantage_eps = 1e-4;           // grpo: added to the std
    std::string scale_rewards = "group";  // grpo: std of the group, the batch, or none
    // Control run: permute the rewards across the whole batch before computing advantages, so that reward
    // no longer depends on the completion (the random-reward control; accuracy must not rise).
    bool shuffle_rewards = false;
    OverlongConfig overlong;       // DAPO's overlong reward shaping (key overlong); off by default
    DynamicSamplingConfig dynamic_sampling;  // key dynamic_sampling; off by default
    // DAPO's overlong filtering: truncated completions (no end token) contribute no tokens to the loss.
    bool mask_truncated = false;
    // Recompute each decoder block in the backward pass (less activation memory, ~1/3 more compute).
    bool gradient_checkpointing = false;
    // Threads that score a step's completions at once (the code reward runs one sandboxed program per
    // completion). 0: the number of cores for a named reward, 1 for a custom RewardFn (which must be
    // thread-safe to be given more).
    int reward_workers = 0;
    // Mixture-of-Experts policies (ignored for dense ones).
    struct Moe {
        // Aux-loss-free balancing (DeepSeek-V3): after each optimizer step, bias_e += rate * sign(mean load -
        // load_e) on the router correction bias. 0 keeps the bias as loaded.
        double bias_update_rate = 0.0;
        // Weight of the classic balance loss (E * sum_e f_e P_e per MoE layer) added to the policy loss.
        double aux_loss_coef = 0.0;
    } moe;
    PolicyLossConfig loss;
    verifiers::RewardConfig reward;
    rollout::SamplingParams sampling;
    // The rollout engine's batching and KV-cache limits (key `engine`); by default every completion of
    // a step runs at once.
    rollout::EngineConfig engine = default_engine();

    static rollout::EngineConfig default_engine();
    static GrpoConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

// A prompt with its expected answer, already rendered through the prompt template.
struct PromptItem {
    std::string prompt;  // template applied
    std::string answer;  // what the verifier expects
};

struct ScoredRollout {
    rollout::Rollout rollout;
    std::vector<std::string> completions;  // decoded text, end token excluded
    std::vector<verifiers::VerifierResult> results;
    torch::Tensor rewards;    // [N] the verifier's
    torch::Tensor truncated;  // [N] bool: no end token (set by the trainer)
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
    double seconds_rollout = 0, seconds_score = 0, seconds_update = 0;

    Json to_json() const;
};

// Scores one decoded completion against the expected answer.
using RewardFn = std::function<verifiers::VerifierResult(const std::string& completion, const std::string& expected)>;

// The configured named reward as a RewardFn.
RewardFn named_reward(const verifiers::RewardConfig& config);

// Samples G completions for each item on the engine (the G samples of an item are consecutive rows
// and share its prompt's KV blocks) and scores them. Item i is request i, seeded with
// rollout::request_seed(sampling.seed, i).
// Completions are scored on `reward_workers` threads.
ScoredRollout sample_and_score(rollout::Engine& engine,
                               const policy::CharTokenizer& tokenizer,
                               const std::vector<PromptItem>& items,
                               int group_size,
                               const rollout::SamplingParams& sampling,
                               const RewardFn& reward,
                               int reward_workers = 1);

// Calls score(i) for i in [0, n) on up to `workers` threads; the first exception is rethrown after all
// threads stop.
void parallel_for(int64_t n, int workers, const std::function<void(int64_t)>& score);

// Per-token log-probs [N, C] of the rollout's completion tokens under `model` at `temperature`.
torch::Tensor completion_logprobs(policy::CausalLM& model, const rollout::Rollout& r, double temperature);

// The trainer state that persists across steps: policy, frozen reference (when kl_coef > 0), optimizer.
class GrpoTrainer {
 public:
    // `reward` defaults to the config's named reward.
    GrpoTrainer(policy::CausalLM policy, const policy::CharTokenizer& tokenizer, GrpoConfig config, RewardFn reward = nullptr);

    // Returns the next `count` prompts of the training stream.
    using PromptSource = std::function<std::vector<PromptItem>(int count)>;

    // One full step on prompts_per_step prompts from the source (more with dynamic sampling); `step` seeds
    // the sampler.
    StepMetrics step(const PromptSource& next_items, int step);
    // The same on these prompts (each dynamic-sampling round samples them again with fresh seeds).
    StepMetrics step(const std::vector<PromptItem>& items, int step);

    policy::CausalLM& policy() { return policy_; }
    rollout::Engine& engine() { return *engine_; }

 private:
    // The PPO-style update on one scored batch; fills loss/kl/clip/grad metrics.
    void update(const ScoredRollout& scored, const torch::Tensor& advantages, StepMetrics& m);
    // After an optimizer step: the load balance (max/mean, averaged over MoE layers; 0 when dense) of the
    // forwards since the last call, then the aux-loss-free bias update, then a load reset.
    double moe_step();

    policy::CausalLM policy_;
    // Samples from policy_'s own parameter tensors (a handle, not a copy): every optimizer step
    // updates them in place, so the next rollout uses the new weights with nothing copied.
    std::unique_ptr<rollout::Engine> engine_;
    std::shared_ptr<policy::CausalLMImpl> reference_;
    policy::CharTokenizer tokenizer_;
    GrpoConfig config_;
    RewardFn reward_;
    int reward_workers_ = 1;
    std::unique_ptr<torch::optim::AdamW> optimizer_;
    // fp32 master copies of low-precision (bf16/fp16) policy weights; the optimizer updates these and the
    // policy gets them rounded after each step. Empty for fp32 policies.
    std::vector<torch::Tensor> master_;
};

}  // namespace aha::rl
