// One GRPO step as plain data passed between stages; see grpo.h.
#include "rl/grpo.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "core/strings.h"
#include "policy/token_logprobs.h"
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

Json StepMetrics::to_json() const {
    return {{"step", step},
            {"reward_mean", reward_mean},
            {"accuracy", accuracy},
            {"format_rate", format_rate},
            {"completion_length", completion_length},
            {"truncated_rate", truncated_rate},
            {"loss", loss},
            {"kl", kl},
            {"kl_reward_penalty", kl_reward_penalty},
            {"clip_fraction", clip_fraction},
            {"clip_fraction_low", clip_fraction_low},
            {"clip_fraction_high", clip_fraction_high},
            {"reward_std", reward_std},
            {"completion_length_max", completion_length_max},
            {"all_correct_groups", all_correct_groups},
            {"all_wrong_groups", all_wrong_groups},
            {"grad_norm", grad_norm},
            {"learning_rate", learning_rate},
            {"entropy", entropy},
            {"approx_kl", approx_kl},
            {"is_weight_mean", is_weight_mean},
            {"is_weight_min", is_weight_min},
            {"is_weight_max", is_weight_max},
            {"rollout_logprob_diff_mean", rollout_logprob_diff_mean},
            {"rollout_logprob_diff_max", rollout_logprob_diff_max},
            {"zero_advantage_groups", zero_advantage_groups},
            {"trained_groups", trained_groups},
            {"dynamic_sampling_rounds", dynamic_sampling_rounds},
            {"dynamic_sampling_kept", dynamic_sampling_kept},
            {"expert_balance", expert_balance},
            {"aux_loss", aux_loss},
            {"seconds_rollout", seconds_rollout},
            {"seconds_score", seconds_score},
            {"seconds_update", seconds_update}};
}

RewardFn named_reward(const verifiers::RewardConfig& config) {
    return [config](const std::string& completion, const std::string& expected) {
        return verifiers::score_completion(config, completion, expected);
    };
}

ScoredRollout sample_and_score(rollout::Engine& engine,
                               const policy::CharTokenizer& tokenizer,
                               const std::vector<PromptItem>& items,
                               int group_size,
                               const rollout::SamplingParams& sampling,
                               const RewardFn& reward,
                               int reward_workers) {
    std::vector<rollout::Request> requests;
    for (size_t i = 0; i < items.size(); ++i) {
        rollout::Request r;
        r.prompt = tokenizer.encode("<bos>" + items[i].prompt);
        r.params = sampling;
        r.params.n = group_size;
        r.params.logprobs = true;
        r.params.seed = rollout::request_seed(sampling.seed, static_cast<int64_t>(i));
        requests.push_back(std::move(r));
    }
    ScoredRollout s;
    s.rollout = rollout::run_to_rollout(engine, std::move(requests), tokenizer.pad_id());
    const int64_t n = s.rollout.size();
    s.rewards = torch::zeros({n}, torch::kFloat32);
    for (int64_t i = 0; i < n; ++i) {
        std::vector<int> ids = s.rollout.completion(i);
        if (!ids.empty() && ids.back() == tokenizer.eos_id()) ids.pop_back();
        s.completions.push_back(tokenizer.decode(ids));
    }
    s.results.resize(static_cast<size_t>(n));
    parallel_for(n, reward_workers, [&](int64_t i) {
        s.results[static_cast<size_t>(i)] = reward(s.completions[static_cast<size_t>(i)], items[i / group_size].answer);
    });
    auto rewards = s.rewards.accessor<float, 1>();
    for (int64_t i = 0; i < n; ++i) rewards[i] = static_cast<float>(s.results[static_cast<size_t>(i)].reward);
    return s;
}

void parallel_for(int64_t n, int workers, const std::function<void(int64_t)>& score) {
    workers = static_cast<int>(std::min<int64_t>(std::max(1, workers), n));
    if (workers <= 1) {
        for (int64_t i = 0; i < n; ++i) score(i);
        return;
    }
    std::atomic<int64_t> next{0};
    std::exception_ptr error;
    std::mutex mu;
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
        threads.emplace_back([&] {
            for (int64_t i; (i = next++) < n;) {
                try {
                    score(i);
                } catch (...) {
                    std::lock_guard<std::mutex> lock(mu);
                    if (!error) error = std::current_exception();
                    next = n;  // stop handing out work
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
}

namespace {

// Per-token log-probs and entropies of the completion tokens of some rollout rows, zero outside `select`.
struct TokenOutputs {
    torch::Tensor logprobs, entropy;  // [R, width] float32
    int64_t width = 0;                // completion columns kept: the rows' longest completion
};

// One forward over the rows `rows` of a rollout with their common padding trimmed (prompt columns
// before the first real token, completion columns after the last); the output projection runs on
// the tokens of `select` [N, C] only.
TokenOutputs rows_forward(policy::CausalLMImpl& model,
                          const rollout::Rollout& r,
                          const torch::Tensor& rows,
                          const torch::Tensor& select,
                          double temperature) {
    auto prompt_valid = r.prompt_valid.index_select(0, rows);
    auto completion_valid = r.completion_valid.index_select(0, rows);
    const int64_t first = prompt_valid.any(0).to(torch::kLong).argmax().item<int64_t>();
    const int64_t P = prompt_valid.size(1) - first;
    const int64_t C = std::max<int64_t>(1, completion_valid.any(0).sum().item<int64_t>());  // right-padded
    prompt_valid = prompt_valid.narrow(1, first, P);
    completion_valid = completion_valid.narrow(1, 0, C);
    auto completion_ids = r.completion_ids.index_select(0, rows).narrow(1, 0, C);
    auto ids = torch::cat({r.prompt_ids.index_select(0, rows).narrow(1, first, P), completion_ids}, 1);
    auto valid = torch::cat({prompt_valid, completion_valid}, 1);
    const int64_t n = rows.size(0);
    auto h = model.hidden_states(ids, policy::positions_from_mask(valid), valid).narrow(1, P - 1, C);  // [n, C, H]
    auto idx = (select.index_select(0, rows).narrow(1, 0, C) & completion_valid).reshape(-1).nonzero().squeeze(1);
    auto t = policy::token_logprobs(h.reshape({n * C, h.size(2)}).index_select(0, idx), model.output_weight(),
                                    completion_ids.reshape(-1).index_select(0, idx), temperature);
    auto place = [&](const torch::Tensor& v) { return torch::zeros({n * C}, v.options()).index_copy(0, idx, v).view({n, C}); };
    return {place(t.logprobs), place(t.entropy), C};
}

// Splits `rows` in order into micro-batches of at most `max_tokens` real tokens each (a longer row goes
// alone); max_tokens = 0 keeps them together.
std::vector<torch::Tensor> micro_batches(const torch::Tensor& rows, const torch::Tensor& row_tokens, int64_t max_tokens) {
    if (max_tokens <= 0) return {rows};
    std::vector<torch::Tensor> out;
    std::vector<int64_t> current;
    int64_t tokens = 0;
    auto ids = rows.accessor<int64_t, 1>();
    auto counts = row_tokens.accessor<int64_t, 1>();
    for (int64_t i = 0; i < ids.size(0); ++i) {
        const int64_t t = counts[ids[i]];
        if (!current.empty() && tokens + t > max_tokens) {
            out.push_back(torch::tensor(current, torch::kLong));
            current.clear();
            tokens = 0;
        }
        current.push_back(ids[i]);
        tokens += t;
    }
    if (!current.empty()) out.push_back(torch::tensor(current, torch::kLong));
    return out;
}

// Log-probs [N, C] of every completion token of a rollout under a model, without gradients, in
// micro-batches.
torch::Tensor rollout_logprobs(policy::CausalLMImpl& model,
                               const rollout::Rollout& r,
                               const torch::Tensor& row_tokens,
                               int64_t max_tokens,
                               double temperature) {
    torch::NoGradGuard no_grad;
    auto out = torch::zeros(r.completion_ids.sizes(), torch::kFloat32);
    for (const auto& rows : micro_batches(torch::arange(r.size()), row_tokens, max_tokens)) {
        TokenOutputs t = rows_forward(model, r, rows, r.completion_valid, temperature);
        out.narrow(1, 0, t.width).index_copy_(0, rows, t.logprobs);
    }
    return out;
}

// Real (prompt + completion) tokens of each row [N] int64: what micro-batches are sized by.
torch::Tensor row_tokens(const rollout::Rollout& r) {
    return r.prompt_valid.sum(1) + r.completion_valid.sum(1);
}

}  // namespace

torch::Tensor completion_logprobs(policy::CausalLM& model, const rollout::Rollout& r, double temperature) {
    return rollout_logprobs(*model, r, row_tokens(r), 0, temperature);
}

GrpoTrainer::GrpoTrainer(policy::CausalLM policy, const policy::CharTokenizer& tokenizer, GrpoConfig config, RewardFn reward)
    : policy_(std::move(policy)), tokenizer_(tokenizer), config_(std::move(config)), reward_(std::move(reward)) {
    reward_workers_ = config_.reward_workers;
    if (!reward_) {
        reward_ = named_reward(config_.reward);
        if (reward_workers_ == 0) reward_workers_ = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    }
    if (reward_workers_ == 0) reward_workers_ = 1;  // a custom RewardFn is not known to be thread-safe
    config_.validate("rl");
    if (config_.loss.kl_coef > 0) {
        reference_ = std::dynamic_pointer_cast<policy::CausalLMImpl>(policy_->clone());
        for (auto& p : reference_->parameters()) p.set_requires_grad(false);
        reference_->eval();
    }
    const auto& arch = policy_->config();
    if (config_.moe.bias_update_rate > 0 && !arch.moe.correction_bias) {
        throw ConfigError("rl.moe.bias_update_rate: the policy (" + arch.model_type +
                          ") has no router correction bias to update; expected 0");
    }
    if (config_.moe.aux_loss_coef > 0 && !arch.is_moe()) {
        throw ConfigError("rl.moe.aux_loss_coef: the policy (" + arch.model_type + ") is not a mixture of experts; expected 0");
    }
    engine_ = std::make_unique<rollout::Engine>(policy_, config_.engine, std::vector<int>{tokenizer_.eos_id()});
    policy_->set_gradient_checkpointing(config_.gradient_checkpointing);
    policy_->set_aux_loss(config_.moe.aux_loss_coef > 0);
    std::vector<torch::Tensor> trained = policy_->parameters();
    if (trained.front().scalar_type() != torch::kFloat32) {
        for (const auto& p : trained) master_.push_back(p.detach().to(torch::kFloat32).requires_grad_(true));
        trained = master_;
    }
    optimizer_ = std::make_unique<torch::optim::AdamW>(
        trained,
        torch::optim::AdamWOptions(config_.learning_rate)
            .betas({config_.adam_beta1, config_.adam_beta2})
            .weight_decay(config_.weight_decay));
}

namespace {

// The shares of groups (consecutive runs of group_size results) whose completions are all correct
// or all wrong.
void count_uniform_groups(const std::vector<verifiers::VerifierResult>& results, int group_size, StepMetrics& m) {
    const int64_t groups = static_cast<int64_t>(results.size()) / group_size;
    for (int64_t g = 0; g < groups; ++g) {
        int correct = 0;
        for (int k = 0; k < group_size; ++k) correct += results[g * group_size + k].verdict == verifiers::Verdict::kCorrect;
        m.all_correct_groups += correct == group_size;
        m.all_wrong_groups += correct == 0;
    }
    m.all_correct_groups /= std::max<int64_t>(1, groups);
    m.all_wrong_groups /= std::max<int64_t>(1, groups);
}

}  // namespace

namespace {

// Pads the rows of several rollouts to common widths (prompts on the left, completions on the right) and
// stacks them.
rollout::Rollout concat_rollouts(const std::vector<rollout::Rollout>& parts, int64_t pad_id) {
    int64_t P = 0, C = 0;
    for (const auto& r : parts) {
        P = std::max(P, r.prompt_ids.size(1));
        C = std::max(C, r.completion_ids.size(1));
    }
    std::vector<torch::Tensor> pi, pv, ci, cv, lp;
    for (const auto& r : parts) {
        const int64_t dp = P - r.prompt_ids.size(1), dc = C - r.completion_ids.size(1);
        pi.push_back(torch::constant_pad_nd(r.prompt_ids, {dp, 0}, pad_id));
        pv.push_back(torch::constant_pad_nd(r.prompt_valid, {dp, 0}, 0));
        ci.push_back(torch::constant_pad_nd(r.completion_ids, {0, dc}, pad_id));
        cv.push_back(torch::constant_pad_nd(r.completion_valid, {0, dc}, 0));
        lp.push_back(torch::constant_pad_nd(r.logprobs, {0, dc}, 0));
    }
    rollout::Rollout out;
    out.prompt_ids = torch::cat(pi);
    out.prompt_valid = torch::cat(pv);
    out.completion_ids = torch::cat(ci);
    out.completion_valid = torch::cat(cv);
    out.logprobs = torch::cat(lp);
    return out;
}

// The rows `rows` (ascending) of a scored rollout.
ScoredRollout select_rows(const ScoredRollout& s, const std::vector<int64_t>& rows) {
    auto idx = torch::tensor(rows, torch::kLong);
    ScoredRollout out;
    const auto& r = s.rollout;
    out.rollout.prompt_ids = r.prompt_ids.index_select(0, idx);
    out.rollout.prompt_valid = r.prompt_valid.index_select(0, idx);
    out.rollout.completion_ids = r.completion_ids.index_select(0, idx);
    out.rollout.completion_valid = r.completion_valid.index_select(0, idx);
    out.rollout.logprobs = r.logprobs.index_select(0, idx);
    out.rewards = s.rewards.index_select(0, idx);
    out.truncated = s.truncated.index_select(0, idx);
    for (int64_t i : rows) {
        out.completions.push_back(s.completions[i]);
        out.results.push_back(s.results[i]);
    }
    return out;
}

ScoredRollout concat_scored(const std::vector<ScoredRollout>& parts, int64_t pad_id) {
    std::vector<rollout::Rollout> rollouts;
    std::vector<torch::Tensor> rewards, truncated;
    ScoredRollout out;
    for (const auto& p : parts) {
        rollouts.push_back(p.rollout);
        rewards.push_back(p.rewards);
        truncated.push_back(p.truncated);
        out.completions.insert(out.completions.end(), p.completions.begin(), p.completions.end());
        out.results.insert(out.results.end(), p.results.begin(), p.results.end());
    }
    out.rollout = concat_rollouts(rollouts, pad_id);
    out.rewards = torch::cat(rewards);
    out.truncated = torch::cat(truncated);
    return out;
}

}  // namespace

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

StepMetrics GrpoTrainer::step(const std::vector<PromptItem>& items, int step) {
    return this->step([&items](int) { return items; }, step);
}

StepMetrics GrpoTrainer::step(const PromptSource& next_items, int step) {
    StepMetrics m;
    m.step = step;
    Stopwatch clock;
    const int G = config_.group_size;
    const auto& ds = config_.dynamic_sampling;
    // Sampled this step (every round), for the reward metrics: what the policy does, whatever is kept.
    std::vector<verifiers::VerifierResult> sampled_results;
    std::vector<torch::Tensor> sampled_rewards, sampled_lengths;
    std::vector<ScoredRollout> kept;
    int64_t kept_groups = 0, sampled_groups = 0;
    double seconds_sampling = 0;
    for (int round = 0; round < (ds.enabled ? ds.max_rounds : 1) && kept_groups < config_.prompts_per_step; ++round) {
        Stopwatch sampling_clock;
        rollout::SamplingParams sampling = config_.sampling;
        sampling.seed = config_.sampling.seed * 1000003 + step;
        if (round > 0) sampling.seed = rollout::request_seed(sampling.seed, -round);  // fresh draws per round
        std::vector<PromptItem> items = next_items(config_.prompts_per_step);
        ScoredRollout scored = sample_and_score(*engine_, tokenizer_, items, G, sampling, reward_, reward_workers_);
        seconds_sampling += sampling_clock.seconds();
        const int64_t n = scored.rollout.size();
        scored.truncated = torch::zeros({n}, torch::kBool);
        auto truncated = scored.truncated.accessor<bool, 1>();
        for (int64_t i = 0; i < n; ++i) {
            std::vector<int> ids = scored.rollout.completion(i);
            truncated[i] = ids.empty() || ids.back() != tokenizer_.eos_id();
        }
        auto lengths = scored.rollout.completion_valid.sum(1).to(torch::kFloat32);  // [N]
        // The verifier's reward plus DAPO's overlong penalty when it is on.
        auto shaped = scored.rewards + overlong_penalty(lengths, config_.sampling.max_new_tokens, config_.overlong);
        sampled_results.insert(sampled_results.end(), scored.results.begin(), scored.results.end());
        sampled_rewards.push_back(shaped);
        sampled_lengths.push_back(lengths);
        sampled_groups += n / G;
        if (!ds.enabled) {
            kept_groups += n / G;
            kept.push_back(std::move(scored));
            break;
        }
        // DAPO's dynamic sampling: keep the groups whose metric is not all equal.
        auto metric = shaped;
        if (ds.metric == "accuracy") {
            metric = torch::zeros({n});
            for (int64_t i = 0; i < n; ++i) metric[i] = scored.results[i].verdict == verifiers::Verdict::kCorrect ? 1.0 : 0.0;
        }
        auto grouped = metric.view({-1, G});
        auto spread = (std::get<0>(grouped.max(1)) - std::get<0>(grouped.min(1))).gt(0).contiguous();
        auto has_spread = spread.accessor<bool, 1>();
        std::vector<int64_t> rows;
        for (int64_t g = 0; g < n / G && kept_groups < config_.prompts_per_step; ++g) {
            if (!has_spread[g]) continue;
            for (int k = 0; k < G; ++k) rows.push_back(g * G + k);
            ++kept_groups;
        }
        if (!rows.empty()) kept.push_back(select_rows(scored, rows));
        m.dynamic_sampling_rounds = round + 1;
    }
    m.seconds_rollout = seconds_sampling;
    auto all_rewards = torch::cat(sampled_rewards), all_lengths = torch::cat(sampled_lengths);
    m.reward_mean = all_rewards.mean().item<double>();
    m.reward_std = all_rewards.size(0) > 1 ? all_rewards.std().item<double>() : 0.0;
    m.completion_length = all_lengths.mean().item<double>();
    m.completion_length_max = all_lengths.max().item<double>();
    count_uniform_groups(sampled_results, G, m);
    for (const auto& res : sampled_results) {
        m.accuracy += res.verdict == verifiers::Verdict::kCorrect;
        m.format_rate += res.format_ok;
    }
    m.accuracy /= sampled_results.size();
    m.format_rate /= sampled_results.size();
    m.trained_groups = static_cast<double>(kept_groups);
    m.dynamic_sampling_kept = static_cast<double>(kept_groups) / std::max<int64_t>(1, sampled_groups);
    if (kept.empty()) {
        // Dynamic sampling found no group with a reward spread within max_rounds: nothing to learn from.
        log_info("rl step " + std::to_string(step) + ": dynamic sampling kept no group in " +
                 std::to_string(ds.max_rounds) + " rounds; no update");
        m.learning_rate = lr_at(config_.lr_schedule, config_.learning_rate, step - 1, config_.steps);
        m.seconds_score = clock.seconds() - seconds_sampling;
        return m;
    }
    ScoredRollout scored = kept.size() == 1 ? std::move(kept.front()) : concat_scored(kept, tokenizer_.pad_id());
    const int64_t n = scored.rollout.size();
    auto lengths = scored.rollout.completion_valid.sum(1).to(torch::kFloat32);  // [N]
    m.truncated_rate = scored.truncated.to(torch::kFloat32).mean().item<double>();
    torch::Tensor rewards = scored.rewards + overlong_penalty(lengths, config_.sampling.max_new_tokens, config_.overlong);
    if (reference_ && config_.loss.kl_in_reward) {
        // The sampling policy's log-probs (recorded by the engine) against the reference's.
        torch::NoGradGuard no_grad;
        const auto& r = scored.rollout;
        auto ref = rollout_logprobs(*reference_, r, row_tokens(r), config_.micro_batch_tokens, config_.sampling.temperature);
        auto penalty = kl_reward_penalty(config_.loss, r.logprobs, ref, r.completion_valid);  // [N]
        m.kl_reward_penalty = penalty.mean().item<double>();
        rewards = rewards - penalty;
    }
    if (config_.shuffle_rewards) {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(step) * 7919 + 3);
        rewards = rewards.index_select(0, torch::randperm(n, gen));
    }
    AdvantageInput adv;
    adv.rewards = rewards;
    adv.group_size = G;
    adv.eps = config_.advantage_eps;
    adv.scale = parse_reward_scale(config_.scale_rewards, "rl.scale_rewards");
    adv.lengths = lengths;
    auto advantages = compute_advantages(config_.advantage, adv);
    auto spread = rewards.view({-1, G}).std(1, false);
    m.zero_advantage_groups = (spread == 0).to(torch::kFloat32).mean().item<double>();
    m.seconds_score = clock.seconds() - seconds_sampling;
    clock.reset();

    m.learning_rate = lr_at(config_.lr_schedule, config_.learning_rate, step - 1, config_.steps);
    for (auto& group : optimizer_->param_groups()) {
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(m.learning_rate);
    }
    update(scored, advantages, m);
    m.seconds_update = clock.seconds();
    return m;
}

double GrpoTrainer::moe_step() {
    auto loads = policy_->expert_load();
    if (loads.empty()) return 0.0;
    double balance = 0;
    for (const auto& l : loads) {
        const double mean = l.mean().item<double>();
        balance += mean > 0 ? l.max().item<double>() / mean : 0.0;
    }
    if (config_.moe.bias_update_rate > 0) policy_->update_routing_bias(config_.moe.bias_update_rate);
    policy_->reset_expert_load();
    return balance / loads.size();
}

void GrpoTrainer::update(const ScoredRollout& scored, const torch::Tensor& advantages, StepMetrics& m) {
    const auto& r = scored.rollout;
    const int64_t n = r.size();
    const double temperature = config_.sampling.temperature;
    const auto tokens_of_row = row_tokens(r);
    auto loss_mask = r.completion_valid;
    if (config_.mask_truncated) loss_mask = loss_mask & scored.truncated.logical_not().unsqueeze(1);
    // The log-probs the ratio is taken against: the engine's, or with rollout correction on, the
    // trainer's own before this step's updates (the engine's then only enter the IS weights).
    torch::Tensor ref_logprobs, old_logprobs = r.logprobs, is_weights;
    if (reference_ && !config_.loss.kl_in_reward) {
        ref_logprobs = rollout_logprobs(*reference_, r, tokens_of_row, config_.micro_batch_tokens, temperature);
    }
    if (config_.loss.tis.enabled()) {
        policy_->eval();
        old_logprobs = rollout_logprobs(*policy_, r, tokens_of_row, config_.micro_batch_tokens, temperature);
        is_weights = rollout_is_weights(config_.loss.tis, old_logprobs, r.logprobs, loss_mask);
        auto w = is_weights.masked_select(loss_mask);
        auto diff = (old_logprobs - r.logprobs).abs().masked_select(loss_mask);
        if (w.numel() > 0) {
            m.is_weight_mean = w.mean().item<double>();
            m.is_weight_min = w.min().item<double>();
            m.is_weight_max = w.max().item<double>();
            m.rollout_logprob_diff_mean = diff.mean().item<double>();
            m.rollout_logprob_diff_max = diff.max().item<double>();
        }
    }
    policy_->train();
    policy_->reset_expert_load();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(m.step) + 17);
    double clipped = 0, clipped_low = 0, clipped_high = 0, kl = 0, entropy = 0, approx_kl = 0, tokens = 0;
    double loss_sum = 0, grad_sum = 0, balance_sum = 0, aux_sum = 0;
    int updates = 0;
    auto params = policy_->parameters();
    const auto& trained = master_.empty() ? params : master_;
    for (int epoch = 0; epoch < config_.epochs; ++epoch) {
        auto order = config_.mini_batches > 1 ? torch::randperm(n, gen) : torch::arange(n);
        for (auto mini : order.chunk(config_.mini_batches)) {
            // The whole mini-batch's normaliser, so that the micro-batch losses add up to its loss.
            LossNormalizer norm = LossNormalizer::of(loss_mask.index_select(0, mini), config_.sampling.max_new_tokens);
            optimizer_->zero_grad();
            for (auto& p : params) p.mutable_grad() = torch::Tensor();  // with masters, the optimizer clears only those
            double mini_loss = 0;
            for (const auto& rows : micro_batches(mini, tokens_of_row, config_.micro_batch_tokens)) {
                TokenOutputs t = rows_forward(*policy_, r, rows, loss_mask, temperature);
                auto cols = [&](const torch::Tensor& v) { return v.index_select(0, rows).narrow(1, 0, t.width); };
                PolicyLossInput in;
                in.logprobs = t.logprobs;
                in.entropy = t.entropy;
                in.old_logprobs = cols(old_logprobs);
                in.advantages = advantages.index_select(0, rows);
                in.mask = cols(loss_mask);
                if (ref_logprobs.defined()) in.ref_logprobs = cols(ref_logprobs);
                if (is_weights.defined()) in.is_weights = cols(is_weights);
                PolicyLossOutput out = policy_loss(config_.loss, in, norm);
                torch::Tensor total = out.loss;
                if (config_.moe.aux_loss_coef > 0) {
                    // Each micro-batch's balance loss weighted by its share of the mini-batch's rows.
                    const double share = static_cast<double>(rows.size(0)) / mini.size(0);
                    torch::Tensor aux = policy_->aux_loss();
                    aux_sum += share * aux.item<double>();
                    total = total + config_.moe.aux_loss_coef * share * aux;
                }
                total.backward();
                mini_loss += out.loss.item<double>();
                clipped += out.clipped_tokens;
                clipped_low += out.clipped_low;
                clipped_high += out.clipped_high;
                kl += out.kl_sum;
                entropy += out.entropy_sum;
                approx_kl += out.approx_kl_sum;
            }
            if (!master_.empty()) {
                for (size_t i = 0; i < params.size(); ++i) {
                    if (params[i].grad().defined()) master_[i].mutable_grad() = params[i].grad().to(torch::kFloat32);
                }
            }
            double grad_norm = config_.max_grad_norm > 0 ? torch::nn::utils::clip_grad_norm_(trained, config_.max_grad_norm)
                                                         : 0.0;
            optimizer_->step();
            if (!master_.empty()) {
                torch::NoGradGuard no_grad;
                for (size_t i = 0; i < params.size(); ++i) params[i].copy_(master_[i]);
            }
            balance_sum += moe_step();
            loss_sum += mini_loss;
            grad_sum += grad_norm;
            tokens += loss_mask.index_select(0, mini).sum().item<double>();
            ++updates;
        }
    }
    policy_->eval();
    const double per_token = 1.0 / std::max(1.0, tokens);
    m.expert_balance = balance_sum / updates;
    m.aux_loss = aux_sum / updates;
    m.loss = loss_sum / updates;
    m.grad_norm = grad_sum / updates;
    m.clip_fraction = clipped * per_token;
    m.clip_fraction_low = clipped_low * per_token;
    m.clip_fraction_high = clipped_high * per_token;
    m.kl = kl * per_token;
    m.entropy = entropy * per_token;
    m.approx_kl = approx_kl * per_token;
}

}  // namespace aha::rl
