// The GRPO trainer's configuration; see grpo_config.h.
#include "rl/grpo_config.h"

#include "core/config_fields.h"
#include "rl/advantages.h"

namespace aha::rl {

namespace {

// The scalar keys of rl; the nested blocks (engine, lr_schedule, overlong, dynamic_sampling, moe, loss,
// reward, sampling) are their own structs'.
const ConfigFields<GrpoConfig>& grpo_fields() {
    using C = GrpoConfig;
    static const ConfigFields<C> f = {
        field("steps", &C::steps, at_least(0)),
        field("prompts_per_step", &C::prompts_per_step, at_least(1)),
        field("group_size", &C::group_size, at_least(2, " (a group-relative baseline needs a group)")),
        field("learning_rate", &C::learning_rate, greater_than(0.0)),
        field("weight_decay", &C::weight_decay, at_least(0.0)),
        field("adam_beta1", &C::adam_beta1, ValueCheck<double>([](const double& b) { return b >= 0 && b < 1 ? "" : "expected in [0, 1)"; })),
        field("adam_beta2", &C::adam_beta2, ValueCheck<double>([](const double& b) { return b >= 0 && b < 1 ? "" : "expected in [0, 1)"; })),
        field("max_grad_norm", &C::max_grad_norm, at_least(0.0, " (0 = off)")),
        field("epochs", &C::epochs, at_least(1)),
        field("mini_batches", &C::mini_batches, at_least(1)),
        field("micro_batch_tokens", &C::micro_batch_tokens, at_least(int64_t{0}, " (0 = no split)")),
        field("advantage", &C::advantage, one_of(advantage_names())),
        field("advantage_eps", &C::advantage_eps, at_least(0.0)),
        field("scale_rewards", &C::scale_rewards),
        field("shuffle_rewards", &C::shuffle_rewards),
        field("mask_truncated", &C::mask_truncated),
        field("truncated_reward", &C::truncated_reward),
        field("gradient_checkpointing", &C::gradient_checkpointing),
        field("reward_workers", &C::reward_workers, ValueCheck<int>([](const int& w) {
                  return w >= 0 && w <= 1024 ? "" : "expected 0..1024 (0 = automatic)";
              })),
    };
    return f;
}

}  // namespace

GrpoConfig GrpoConfig::from_json(ConfigReader r) {
    GrpoConfig c;
    read_fields(grpo_fields(), r, c);
    c.engine = rollout::EngineConfig::from_json(r.child("engine"), default_engine());
    c.lr_schedule = LrSchedule::from_json(r.child("lr_schedule"));
    c.overlong = OverlongConfig::from_json(r.child("overlong"));
    c.dynamic_sampling = DynamicSamplingConfig::from_json(r.child("dynamic_sampling"));
    {
        ConfigReader moe = r.child("moe");
        moe.read("bias_update_rate", c.moe.bias_update_rate).read("aux_loss_coef", c.moe.aux_loss_coef);
        moe.read("aux_loss_scope", c.moe.aux_loss_scope);
        moe.finish();
    }
    c.loss = PolicyLossConfig::from_json(r.child("loss"));
    c.reward = verifiers::RewardConfig::from_json(r.child("reward"));
    c.sampling = rollout::SamplingParams::from_json(r.child("sampling"));
    r.finish();
    return c;
}

Json GrpoConfig::to_json() const {
    Json j = {{"lr_schedule", lr_schedule.to_json()},
              {"overlong", overlong.to_json()},
              {"dynamic_sampling", dynamic_sampling.to_json()},
              {"moe", {{"bias_update_rate", moe.bias_update_rate}, {"aux_loss_coef", moe.aux_loss_coef},
                       {"aux_loss_scope", moe.aux_loss_scope}}},
              {"loss", loss.to_json()},
              {"reward", reward.to_json()},
              {"sampling", sampling.to_json()},
              {"engine", engine.to_json()}};
    write_fields(grpo_fields(), *this, j);
    return j;
}

rollout::EngineConfig GrpoConfig::default_engine() {
    rollout::EngineConfig e;
    e.max_num_seqs = 4096;
    e.max_num_batched_tokens = 8192;
    return e;
}

void GrpoConfig::validate(const std::string& path) const {
    check_fields(grpo_fields(), *this, path);
    config_require(mini_batches <= prompts_per_step * group_size, path + ".mini_batches", "expected 1..prompts_per_step*group_size");
    parse_reward_scale(scale_rewards, path + ".scale_rewards");
    config_require(moe.bias_update_rate >= 0, path + ".moe.bias_update_rate", "expected >= 0 (0 = frozen)");
    config_require(moe.aux_loss_coef >= 0, path + ".moe.aux_loss_coef", "expected >= 0 (0 = off)");
    config_require_one_of(moe.aux_loss_scope, {"batch", "sequence"}, path + ".moe.aux_loss_scope");
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
