// One GRPO step as stages over plain data (step_data.h):
//   collect     prompts -> sampled, scored groups (collect.h: engine, text side, rewards, shaping, DAPO's
//               dynamic sampling)
//   make_batch  kept groups -> Batch (batch.h: advantages, reference and old log-probs, IS weights, the
//               mini-batch plan and its normalisers)
//   learn       Batch -> updated policy (learner.h: optimizer, fp32 masters, clipping, MoE balancing)
// and StepMetrics from each. GrpoTrainer only wires the stages and holds the engine and the learner.
#pragma once

#include <memory>

#include "rl/batch.h"
#include "rl/collect.h"
#include "rl/grpo_config.h"
#include "rl/learner.h"
#include "rl/rollout_forward.h"
#include "rl/seeds.h"
#include "rl/step_data.h"
#include "tokenizer/model_text.h"

namespace aha::rl {

class GrpoTrainer {
 public:
    // `reward` defaults to the config's named reward. The engine samples from the policy's own parameter
    // tensors (a handle, not a copy): every optimizer step updates them in place, so the next rollout uses
    // the new weights with nothing copied.
    GrpoTrainer(policy::CausalLM policy, tokenizer::ModelText text, GrpoConfig config, RewardFn reward = nullptr);

    // One full step on prompts_per_step prompts from the source (more with dynamic sampling); `step` (1 =
    // the first) seeds the sampler and sets the learning rate.
    StepMetrics step(const PromptSource& next_items, int step);
    // The same on these prompts (each dynamic-sampling round samples them again with fresh seeds).
    StepMetrics step(const std::vector<PromptItem>& items, int step);

    policy::CausalLM& policy() { return learner_.policy(); }
    rollout::Engine& engine() { return *engine_; }
    const tokenizer::ModelText& text() const { return text_; }
    Learner& learner() { return learner_; }
    // A factor on the schedule's learning rate (the watchdog's rollback lowers it; saved in checkpoints).
    void set_lr_scale(double scale) { lr_scale_ = scale; }
    double lr_scale() const { return lr_scale_; }
    // What the last step sampled and kept for training (its groups' prompts, completions and verdicts).
    const ScoredRollout& last_kept() const { return last_kept_; }

 private:
    tokenizer::ModelText text_;
    GrpoConfig config_;
    RewardFn reward_;
    int reward_workers_ = 1;
    Learner learner_;
    std::unique_ptr<rollout::Engine> engine_;
    ScoredRollout last_kept_;
    double lr_scale_ = 1.0;
};

}  // namespace aha::rl
