// The GRPO trainer's configuration (key `rl` of an experiment): the step's sizes, the optimizer, the update
// schedule, advantages, DAPO's controls, MoE balancing, and the loss, reward, sampling and engine blocks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
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
    // The reward of a truncated completion (no end token) in place of its verifier's, as Dr. GRPO's oat
    // code gives 0 to unfinished answers; unset (null) = the verifier's reward stands. Accuracy is still
    // the verifier's verdict.
    std::optional<double> truncated_reward;
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
        // Over what f_e and P_e are counted: "batch" (all the micro-batch's tokens, Switch/Qwen-MoE) or
        // "sequence" (each sequence's tokens, averaged over sequences: DeepSeek-V3's sequence-wise loss).
        std::string aux_loss_scope = "batch";
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

}  // namespace aha::rl
