// The collect stage; see collect.h.
#include "rl/collect.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/strings.h"
#include "rl/reward_shaping.h"

namespace aha::rl {

RewardFn named_reward(const verifiers::RewardConfig& config) {
    // One config per catalogue name, made before any scoring thread starts: an item's own reward (its data
    // source's) swaps the name and keeps every other setting (format weight, verdict rewards, math, code).
    auto by_name = std::make_shared<std::map<std::string, verifiers::RewardConfig>>();
    for (const auto& name : verifiers::reward_names()) {
        verifiers::RewardConfig c = config;
        c.name = name;
        (*by_name)[name] = c;
    }
    return [config, by_name](const std::string& completion, const PromptItem& item) {
        if (item.reward.empty() || item.reward == config.name) return verifiers::score_completion(config, completion, item.answer);
        auto it = by_name->find(item.reward);
        if (it == by_name->end()) {
            throw ConfigError("reward '" + item.reward + "' of data source '" + item.source + "': unknown; valid names: " +
                              join(verifiers::reward_names()));
        }
        return verifiers::score_completion(it->second, completion, item.answer);
    };
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

std::vector<rollout::Request> group_requests(const tokenizer::ModelText& text,
                                             const std::vector<PromptItem>& items,
                                             int group_size,
                                             const rollout::SamplingParams& sampling) {
    std::vector<rollout::Request> requests;
    for (size_t i = 0; i < items.size(); ++i) {
        rollout::Request r;
        r.prompt = text.encode(items[i].prompt);
        r.params = sampling;
        r.params.n = group_size;
        r.params.logprobs = true;
        r.params.seed = rollout::request_seed(sampling.seed, static_cast<int64_t>(i));
        requests.push_back(std::move(r));
    }
    return requests;
}

}  // namespace

ScoredRollout sample_and_score(rollout::Engine& engine,
                               const tokenizer::ModelText& text,
                               const std::vector<PromptItem>& items,
                               int group_size,
                               const rollout::SamplingParams& sampling,
                               const RewardFn& reward,
                               int reward_workers) {
    Stopwatch clock;
    ScoredRollout s;
    s.rollout = rollout::run_to_rollout(engine, group_requests(text, items, group_size, sampling), text.pad_id);
    s.items = items;
    s.seconds_rollout = clock.seconds();
    clock.reset();
    const int64_t n = s.rollout.size();
    s.truncated = torch::zeros({n}, torch::kBool);
    auto truncated = s.truncated.accessor<bool, 1>();
    for (int64_t i = 0; i < n; ++i) {
        std::vector<int> ids = s.rollout.completion(i);
        truncated[i] = ids.empty() || !text.is_eos(ids.back());
        s.completions.push_back(text.decode(ids));
    }
    s.results.resize(static_cast<size_t>(n));
    parallel_for(n, reward_workers, [&](int64_t i) {
        s.results[static_cast<size_t>(i)] = reward(s.completions[static_cast<size_t>(i)], items[static_cast<size_t>(i / group_size)]);
    });
    s.rewards = torch::zeros({n}, torch::kFloat32);
    auto rewards = s.rewards.accessor<float, 1>();
    for (int64_t i = 0; i < n; ++i) rewards[i] = static_cast<float>(s.results[static_cast<size_t>(i)].reward);
    s.lengths = s.rollout.completion_valid.sum(1).to(torch::kFloat32);
    s.shaped = s.rewards;
    s.seconds_score = clock.seconds();
    return s;
}

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

// The rows `rows` (ascending, whole groups of G) of a scored rollout.
ScoredRollout select_rows(const ScoredRollout& s, const std::vector<int64_t>& rows, int G) {
    auto idx = torch::tensor(rows, torch::kLong);
    ScoredRollout out;
    const auto& r = s.rollout;
    out.rollout.prompt_ids = r.prompt_ids.index_select(0, idx);
    out.rollout.prompt_valid = r.prompt_valid.index_select(0, idx);
    out.rollout.completion_ids = r.completion_ids.index_select(0, idx);
    out.rollout.completion_valid = r.completion_valid.index_select(0, idx);
    out.rollout.logprobs = r.logprobs.index_select(0, idx);
    for (auto [to, from] : {std::pair{&out.rewards, &s.rewards}, {&out.shaped, &s.shaped}, {&out.lengths, &s.lengths},
                            {&out.truncated, &s.truncated}}) {
        *to = from->index_select(0, idx);
    }
    for (int64_t i : rows) {
        out.completions.push_back(s.completions[i]);
        out.results.push_back(s.results[i]);
        if (i % G == 0) out.items.push_back(s.items[static_cast<size_t>(i / G)]);
    }
    return out;
}

// DAPO's dynamic sampling: the rows of the groups (in order, up to `room` of them) whose metric is not
// all equal.
std::vector<int64_t> groups_with_spread(const ScoredRollout& s, const DynamicSamplingConfig& ds, int G, int64_t room) {
    const int64_t n = s.size();
    auto metric = s.shaped;
    if (ds.metric == "accuracy") {
        metric = torch::zeros({n});
        for (int64_t i = 0; i < n; ++i) metric[i] = s.results[i].verdict == verifiers::Verdict::kCorrect ? 1.0 : 0.0;
    }
    auto grouped = metric.view({-1, G});
    auto spread = (std::get<0>(grouped.max(1)) - std::get<0>(grouped.min(1))).gt(0).contiguous();
    auto has_spread = spread.accessor<bool, 1>();
    std::vector<int64_t> rows;
    for (int64_t g = 0; g < n / G && room > 0; ++g) {
        if (!has_spread[g]) continue;
        for (int k = 0; k < G; ++k) rows.push_back(g * G + k);
        --room;
    }
    return rows;
}

}  // namespace

ScoredRollout concat_scored(const std::vector<ScoredRollout>& parts, int64_t pad_id) {
    if (parts.size() == 1) return parts.front();
    std::vector<rollout::Rollout> rollouts;
    std::vector<torch::Tensor> rewards, shaped, lengths, truncated;
    ScoredRollout out;
    for (const auto& p : parts) {
        rollouts.push_back(p.rollout);
        rewards.push_back(p.rewards);
        shaped.push_back(p.shaped);
        lengths.push_back(p.lengths);
        truncated.push_back(p.truncated);
        out.items.insert(out.items.end(), p.items.begin(), p.items.end());
        out.completions.insert(out.completions.end(), p.completions.begin(), p.completions.end());
        out.results.insert(out.results.end(), p.results.begin(), p.results.end());
    }
    out.rollout = concat_rollouts(rollouts, pad_id);
    out.rewards = torch::cat(rewards);
    out.shaped = torch::cat(shaped);
    out.lengths = torch::cat(lengths);
    out.truncated = torch::cat(truncated);
    return out;
}

Collected collect(const CollectInputs& in, const PromptSource& source, const GrpoConfig& config, const StepSeeds& seeds) {
    const int G = config.group_size;
    const auto& ds = config.dynamic_sampling;
    Collected c;
    std::vector<ScoredRollout> kept;
    std::vector<torch::Tensor> shaped, lengths;
    for (int round = 0; round < (ds.enabled ? ds.max_rounds : 1) && c.kept_groups < config.prompts_per_step; ++round) {
        rollout::SamplingParams sampling = config.sampling;
        sampling.seed = seeds.sampling_round(round);
        ScoredRollout s = sample_and_score(in.engine, in.text, source(config.prompts_per_step), G, sampling, in.reward,
                                           in.reward_workers);
        s.shaped = s.rewards + overlong_penalty(s.lengths, config.sampling.max_new_tokens, config.overlong);
        if (config.truncated_reward) s.shaped = torch::where(s.truncated, static_cast<float>(*config.truncated_reward), s.shaped);
        c.sampled_results.insert(c.sampled_results.end(), s.results.begin(), s.results.end());
        shaped.push_back(s.shaped);
        lengths.push_back(s.lengths);
        c.sampled_groups += s.size() / G;
        c.seconds_rollout += s.seconds_rollout;
        c.seconds_score += s.seconds_score;
        c.rounds = round + 1;
        if (!ds.enabled) {
            c.kept_groups += s.size() / G;
            kept.push_back(std::move(s));
            break;
        }
        std::vector<int64_t> rows = groups_with_spread(s, ds, G, config.prompts_per_step - c.kept_groups);
        c.kept_groups += static_cast<int64_t>(rows.size()) / G;
        if (!rows.empty()) kept.push_back(select_rows(s, rows, G));
    }
    c.sampled_shaped = torch::cat(shaped);
    c.sampled_lengths = torch::cat(lengths);
    if (!kept.empty()) c.kept = concat_scored(kept, in.text.pad_id);
    return c;
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

void sample_metrics(const Collected& c, int group_size, StepMetrics& m) {
    const auto& rewards = c.sampled_shaped;
    m.reward_mean = rewards.mean().item<double>();
    m.reward_std = rewards.size(0) > 1 ? rewards.std().item<double>() : 0.0;
    m.completion_length = c.sampled_lengths.mean().item<double>();
    m.completion_length_max = c.sampled_lengths.max().item<double>();
    count_uniform_groups(c.sampled_results, group_size, m);
    for (const auto& res : c.sampled_results) {
        m.accuracy += res.verdict == verifiers::Verdict::kCorrect;
        m.format_rate += res.format_ok;
    }
    m.accuracy /= c.sampled_results.size();
    m.format_rate /= c.sampled_results.size();
    m.trained_groups = static_cast<double>(c.kept_groups);
    m.dynamic_sampling_kept = static_cast<double>(c.kept_groups) / std::max<int64_t>(1, c.sampled_groups);
}

}  // namespace aha::rl
