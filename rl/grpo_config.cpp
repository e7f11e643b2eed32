// The GRPO trainer's configuration; see grpo_config.h.
#include "rl/grpo_config.h"

#include "rl/advantages.h"

namespace aha::rl {

GrpoConfig GrpoConfig::from_json(ConfigReader r) {
    GrpoConfig c;
    r.read("steps", c.steps)
        .read("prompts_per_step", c.prompts_per_step)
        .read("group_size", c.group_size)
        .read("learning_rate", c.learning_rate)
        .read("weight_decay", c.weight_decay)
        .read("adam_beta1", c.adam_beta1)
        .read("adam_beta2", c.adam_beta2)
        .read("max_grad_norm", c.max_grad_norm)
        .read("epochs", c.epochs)
        .read("mini_batches", c.mini_batches)
        .read("micro_batch_tokens", c.micro_batch_tokens)
        .read("advantage", c.advantage)
        .read("advantage_eps", c.advantage_eps)
        .read("scale_rewards", c.scale_rewards)
        .read("shuffle_rewards", c.shuffle_rewards)
        .read("mask_truncated", c.mask_truncated)
        .read("gradient_checkpointing", c.gradient_checkpointing)
        .read("reward_workers", c.reward_workers);
    c.engine = rollout::EngineConfig::from_json(r.child("engine"), default_engine());
    c.lr_schedule = LrSchedule::from_json(r.child("lr_schedule"));
    c.overlong = OverlongConfig::from_json(r.child("overlong"));
    c.dynamic_sampling = DynamicSamplingConfig::from_json(r.child("dynamic_sampling"));
    {
        ConfigReader moe = r.child("moe");
        moe.read("bias_update_rate", c.moe.bias_update_rate).read("aux_loss_coef", c.moe.aux_loss_coef);
        moe.finish();
    }
    c.loss = PolicyLossConfig::from_json(r.child("loss"));
    c.reward = verifiers::RewardConfig::from_json(r.child("reward"));
    c.sampling = rollout::SamplingParams::from_json(r.child("sampling"));
    r.finish();
    return c;
}

Json GrpoConfig::to_json() const {
    return {{"steps", steps},
            {"prompts_per_step", prompts_per_step},
            {"group_size", group_size},
            {"learning_rate", learning_rate},
            {"lr_schedule", lr_schedule.to_json()},
            {"weight_decay", weight_decay},
            {"adam_beta1", adam_beta1},
            {"adam_beta2", adam_beta2},
            {"max_grad_norm", max_grad_norm},
            {"epochs", epochs},
            {"mini_batches", mini_batches},
            {"micro_batch_tokens", micro_batch_tokens},
            {"advantage", advantage},
            {"advantage_eps", advantage_eps},
            {"scale_rewards", scale_rewards},
            {"shuffle_rewards", shuffle_rewards},
            {"overlong", overlong.to_json()},
            {"dynamic_sampling", dynamic_sampling.to_json()},
            {"mask_truncated", mask_truncated},
            {"gradient_checkpointing", gradient_checkpointing},
            {"reward_workers", reward_workers},
            {"moe", {{"bias_update_rate", moe.bias_update_rate}, {"aux_loss_coef", moe.aux_loss_coef}}},
            {"loss", loss.to_json()},
            {"reward", reward.to_json()},
            {"sampling", sampling.to_json()},
            {"engine", engine.to_json()}};
}

rollout::EngineConfig GrpoConfig::default_engine() {
    rollout::EngineConfig e;
    e.max_num_seqs = 4096;
    e.max_num_batched_tokens = 8192;
    return e;
}

void GrpoConfig::validate(const std::string& path) const {
    config_require(steps >= 0, path + ".steps", "expected >= 0");
    config_require(prompts_per_step >= 1, path + ".prompts_per_step", "expected >= 1");
    config_require(group_size >= 2, path + ".group_size", "expected >= 2 (a group-relative baseline needs a group)");
    config_require(learning_rate > 0, path + ".learning_rate", "expected > 0");
    config_require(weight_decay >= 0, path + ".weight_decay", "expected >= 0");
    config_require(adam_beta1 >= 0 && adam_beta1 < 1, path + ".adam_beta1", "expected in [0, 1)");
    config_require(adam_beta2 >= 0 && adam_beta2 < 1, path + ".adam_beta2", "expected in [0, 1)");
    config_require(max_grad_norm >= 0, path + ".max_grad_norm", "expected >= 0 (0 = off)");
    config_require(epochs >= 1, path + ".epochs", "expected >= 1");
    config_require(mini_batches >= 1 && mini_batches <= prompts_per_step * group_size,
                   path + ".mini_batches",
                   "expected 1..prompts_per_step*group_size");
    config_require(micro_batch_tokens >= 0, path + ".micro_batch_tokens", "expected >= 0 (0 = no split)");
    config_require(reward_workers >= 0 && reward_workers <= 1024, path + ".reward_workers", "expected 0..1024 (0 = automatic)");
    config_require_one_of(advantage, advantage_names(), path + ".advantage");
    config_require(advantage_eps >= 0, path + ".advantage_eps", "expected >= 0");
    parse_reward_scale(scale_rewards, path + ".scale_rewards");
    config_require(moe.bias_update_rate >= 0, path + ".moe.bias_update_rate", "expected >= 0 (0 = frozen)");
    config_require(moe.aux_loss_coef >= 0, path + ".moe.aux_loss_coef", "expected >= 0 (0 = off)");
    loss.validate(path + ".loss");
    reward.validate(path + ".reward");
    sampling.validate(path + ".sampling");
    engine.validate(path + ".engine");
    lr_schedule.validate(path + ".lr_schedule");
    overlong.validate(path + ".overlong", sampling.max_new_tokens);
    dynamic_sampling.validate(path + ".dynamic_sampling");
    config_require(engine.max_num_seqs >= group_size, path + ".engine.max_num_seqs", "expected >= group_size (a group runs at once)");
    config_require(sampling.temperature > 0, path + ".sampling.temperature", "RL needs sampling (> 0)");
}

std::vector<std::string> DynamicSamplingConfig::metric_names() { return {"accuracy", "reward"}; }

DynamicSamplingConfig DynamicSamplingConfig::from_json(ConfigReader r) {
    DynamicSamplingConfig c;
    r.read("enabled", c.enabled).read("metric", c.metric).read("max_rounds", c.max_rounds);
    r.finish();
    return c;
}

Json DynamicSamplingConfig::to_json() const { return {{"enabled", enabled}, {"metric", metric}, {"max_rounds", max_rounds}}; }

void DynamicSamplingConfig::validate(const std::string& path) const {
    config_require_one_of(metric, metric_names(), path + ".metric");
    config_require(max_rounds >= 1, path + ".max_rounds", "expected >= 1");
}

}  // namespace aha::rl
