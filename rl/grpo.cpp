// One GRPO step as stages over plain data; see grpo.h.
#include "rl/grpo.h"

#include <thread>

#include "core/log.h"

namespace aha::rl {

namespace {

// 0 workers: the cores for a named reward, 1 for a custom RewardFn (not known to be thread-safe).
int reward_workers(const GrpoConfig& config, bool named) {
    if (config.reward_workers > 0) return config.reward_workers;
    return named ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : 1;
}

const GrpoConfig& validated(const GrpoConfig& config) {
    config.validate("rl");
    return config;
}

}  // namespace

GrpoTrainer::GrpoTrainer(policy::CausalLM policy, tokenizer::ModelText text, GrpoConfig config, RewardFn reward)
    : text_(std::move(text)),
      config_(std::move(config)),
      reward_(reward ? std::move(reward) : named_reward(config_.reward)),
      reward_workers_(rl::reward_workers(config_, !reward)),
      learner_(std::move(policy), validated(config_)) {
    engine_ = std::make_unique<rollout::Engine>(learner_.policy(), config_.engine, text_.eos_ids);
}

StepMetrics GrpoTrainer::step(const std::vector<PromptItem>& items, int step) {
    return this->step([&items](int) { return items; }, step);
}

StepMetrics GrpoTrainer::step(const PromptSource& next_items, int step) {
    StepMetrics m;
    m.step = step;
    const StepSeeds seeds = StepSeeds::of(config_.sampling.seed, step);
    Collected c = collect({*engine_, text_, reward_, reward_workers_}, next_items, config_, seeds);
    last_kept_ = c.kept;
    sample_metrics(c, config_.group_size, m);
    m.dynamic_sampling_rounds = config_.dynamic_sampling.enabled ? c.rounds : 0;
    m.seconds_rollout = c.seconds_rollout;
    m.seconds_score = c.seconds_score;
    const double lr = lr_scale_ * lr_at(config_.lr_schedule, config_.learning_rate, step - 1, config_.steps);
    m.learning_rate = lr;
    if (c.kept_groups == 0) {
        // Dynamic sampling found no group with a reward spread within max_rounds: nothing to learn from.
        log_info("rl step " + std::to_string(step) + ": dynamic sampling kept no group in " +
                 std::to_string(config_.dynamic_sampling.max_rounds) + " rounds; no update");
        return m;
    }
    Stopwatch clock;
    Batch batch = make_batch(c.kept, config_, {*learner_.policy(), learner_.reference()}, seeds, m);
    m.seconds_batch = clock.seconds();
    clock.reset();
    learner_.learn(batch, lr, m);
    m.seconds_update = clock.seconds();
    learner_.state().step = step;
    return m;
}

}  // namespace aha::rl
