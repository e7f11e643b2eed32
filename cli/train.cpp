// `aha train`: GRPO on any checkpoint and data, with periodic checkpoints and resume; see commands.h.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>

#include "cli/chart.h"
#include "cli/commands.h"
#include "cli/run_checkpoint.h"
#include "cli/run_data.h"
#include "core/event_file.h"
#include "core/log.h"
#include "core/strings.h"
#include "datasets/data_stream.h"
#include "policy/checkpoint.h"
#include "rl/watchdog.h"

namespace aha::cli {

namespace {

constexpr const char* kLogs[] = {"metrics.jsonl", "samples.jsonl", "eval.jsonl", "eval_samples.jsonl"};

std::string percent(double x) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%5.1f%%", 100.0 * x);
    return buf;
}

// The training prompts: every source rendered, mixed by weight in a seeded stream.
struct TrainStream {
    std::vector<RenderedSource> sources;
    std::unique_ptr<datasets::DataStream> stream;

    std::vector<rl::PromptItem> next(int count) {
        std::vector<rl::PromptItem> items;
        for (int i = 0; i < count; ++i) {
            auto pick = stream->next();
            items.push_back(sources[pick.source].items[pick.index]);
        }
        return items;
    }
};

TrainStream train_stream(const ExperimentConfig& c, const datasets::PromptRenderer& renderer, const tokenizer::ModelText& text) {
    TrainStream t;
    std::vector<size_t> sizes;
    std::vector<double> weights;
    for (const auto& s : c.data.train) {
        t.sources.push_back(render_source(s, renderer, text));
        sizes.push_back(t.sources.back().items.size());
        weights.push_back(s.weight);
    }
    t.stream = std::make_unique<datasets::DataStream>(sizes, weights, static_cast<uint64_t>(c.seed));
    return t;
}

// The lines of samples.jsonl for a step: its first `groups` kept groups, each prompt decoded from the ids the
// policy saw, with every completion, its reward, the reward it was trained on and its verdict.
std::vector<Json> sample_lines(int step, const rl::ScoredRollout& kept, const tokenizer::ModelText& text, int G, int groups) {
    std::vector<Json> out;
    for (int g = 0; g < groups && static_cast<size_t>(g) < kept.items.size() && (g + 1) * G <= kept.size(); ++g) {
        std::vector<int> prompt;
        auto ids = kept.rollout.prompt_ids[g * G];
        auto valid = kept.rollout.prompt_valid[g * G];
        for (int64_t t = 0; t < ids.size(0); ++t) {
            if (valid[t].item<bool>()) prompt.push_back(static_cast<int>(ids[t].item<int64_t>()));
        }
        Json completions = Json::array(), rewards = Json::array(), shaped = Json::array(), verdicts = Json::array();
        for (int i = g * G; i < (g + 1) * G; ++i) {
            completions.push_back(kept.completions[static_cast<size_t>(i)]);
            rewards.push_back(kept.results[static_cast<size_t>(i)].reward);
            shaped.push_back(kept.shaped[i].item<double>());
            verdicts.push_back(verifiers::verdict_name(kept.results[static_cast<size_t>(i)].verdict));
        }
        const auto& item = kept.items[static_cast<size_t>(g)];
        out.push_back({{"step", step}, {"group", g}, {"source", item.source}, {"prompt", text.tokenizer->decode(prompt, false)},
                       {"answer", item.answer}, {"reward_name", item.reward}, {"completions", completions}, {"rewards", rewards},
                       {"shaped_rewards", shaped}, {"verdicts", verdicts}});
    }
    return out;
}

// The numbers of a metrics.jsonl or eval.jsonl line as TensorBoard scalars named prefix + key.
std::vector<std::pair<std::string, double>> scalars_of(const Json& line, const std::string& prefix) {
    std::vector<std::pair<std::string, double>> out;
    for (const auto& item : line.items()) {
        if (item.key() != "step" && item.value().is_number()) out.emplace_back(prefix + item.key(), item.value().get<double>());
    }
    return out;
}

// Faults injected to test the watchdog (the AHA_FAULT environment variable, never set in normal use), each
// once per process: "nan@S" makes every reward of step S NaN; "lr@S=X" multiplies step S's learning rate by X.
struct Faults {
    int nan_step = -1, lr_step = -1;
    double lr_factor = 1;

    static Faults from_env() {
        Faults f;
        const char* env = std::getenv("AHA_FAULT");
        if (!env || !*env) return f;
        for (const auto& item : split(env, ',')) {
            int step = 0;
            double x = 0;
            char tail = 0;
            if (std::sscanf(item.c_str(), "nan@%d%c", &step, &tail) == 1 && step > 0) {
                f.nan_step = step;
            } else if (std::sscanf(item.c_str(), "lr@%d=%lf%c", &step, &x, &tail) == 2 && step > 0) {
                f.lr_step = step;
                f.lr_factor = x;
            } else {
                throw ConfigError("AHA_FAULT: '" + item + "' is not a fault", "expected nan@STEP or lr@STEP=FACTOR, comma-separated");
            }
        }
        log_info(std::string("AHA_FAULT=") + env + ": injecting faults (a test of the watchdog)");
        return f;
    }
};

// The watchdog's view of a metrics line.
rl::WatchdogInput watchdog_input(const Json& line) {
    auto num = [&](const char* key) { return line.contains(key) && line[key].is_number() ? line[key].get<double>() : NAN; };
    return {line.value("step", 0), num("loss"), num("grad_norm"), num("kl"), num("entropy"), num("reward_mean"),
            line.value("trained_groups", 0.0) > 0};
}

// "1h02m", "7m12s", "42s".
std::string duration_text(double seconds) {
    const long s = std::lround(std::max(0.0, seconds));
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lds", s);
    return buf;
}

// The time left, from this process's mean seconds per step (evaluations included).
struct Eta {
    Stopwatch clock;
    int first = 0, total = 0;
    std::string at(int step) const {
        const int done = step - first;
        return done > 0 ? duration_text(clock.seconds() / done * (total - step)) : "-";
    }
};

// What the summary shows of one evaluation: each suite's metrics (EvalResult::to_json, in suite order) and
// the headline suite's first completion of each of its first `show` prompts.
struct EvalSnapshot {
    std::vector<Json> suites;
    std::vector<std::string> first_completions;

    static EvalSnapshot of(const std::vector<rl::EvalResult>& results, int show) {
        EvalSnapshot s;
        for (const auto& r : results) s.suites.push_back(r.to_json());
        for (int i = 0; !results.empty() && i < show && i < results.front().prompts; ++i) {
            s.first_completions.push_back(results.front().samples[static_cast<size_t>(i * results.front().n)].completion);
        }
        return s;
    }

    Json by_suite() const {
        Json j = Json::object();
        for (const auto& s : suites) j[s["suite"].get<std::string>()] = s;
        return j;
    }
};

std::vector<Json> read_jsonl(const std::string& path) {
    std::vector<Json> lines;
    for (const auto& line : split(read_file(path), '\n')) {
        if (!line.empty()) lines.push_back(Json::parse(line));  // truncate_log kept only lines that parse
    }
    return lines;
}

// The evaluation of `step` as the run logged it (eval.jsonl, eval_samples.jsonl), for a resumed run's summary.
EvalSnapshot logged_eval(const std::string& run_dir, int step, const std::vector<rl::EvalSuite>& suites, int show) {
    EvalSnapshot s;
    const std::vector<Json> metrics = read_jsonl(run_dir + "/eval.jsonl");
    for (const auto& suite : suites) {
        auto it = std::find_if(metrics.begin(), metrics.end(), [&](const Json& j) {
            return j.value("step", -1) == step && j.value("suite", "") == suite.name;
        });
        if (it == metrics.end()) {
            throw FormatError(run_dir + "/eval.jsonl: no line for suite " + suite.name + " at step " + std::to_string(step),
                              "the run's logs were edited or removed; start the run again without --resume");
        }
        Json j = *it;
        j.erase("step");
        j.erase("seconds");
        s.suites.push_back(j);
    }
    if (suites.empty()) return s;
    s.first_completions.assign(static_cast<size_t>(std::min<int64_t>(show, static_cast<int64_t>(suites.front().items.size()))), "");
    for (const auto& j : read_jsonl(run_dir + "/eval_samples.jsonl")) {
        const int64_t i = j.value("prompt_index", int64_t{-1});
        if (j.value("step", -1) == step && j.value("suite", "") == suites.front().name && j.value("sample", -1) == 0 && i >= 0 &&
            i < static_cast<int64_t>(s.first_completions.size())) {
            s.first_completions[static_cast<size_t>(i)] = j.value("completion", "");
        }
    }
    return s;
}

// Refuses (ConfigError naming the keys) to resume with changes off the may-change list unless forced;
// every change is logged.
void check_resume_config(const Json& saved, const Json& now, bool force, const std::string& where) {
    std::vector<std::string> refused;
    for (const auto& c : config_changes(saved, now)) {
        const std::string what = c.key + ": " + c.saved.dump() + " -> " + c.now.dump();
        if (c.allowed || force) {
            log_info("resume: " + what + (c.allowed ? "" : " (changed under --resume-force)"));
        } else {
            refused.push_back(what);
        }
    }
    if (!refused.empty()) {
        throw ConfigError(where + " was written with another config: " + join(refused, "; "),
                          "a resumed run may change rl.steps, eval.every, eval.show_samples, checkpoint.*, log.*, run_dir and "
                          "description; --resume-force resumes anyway (the changes are logged)");
    }
}

// Loads the checkpoint a resume continues from into the trainer (built on the base policy) and the data
// stream: `from`, or else the newest complete one of run_dir, falling back to older ones, with a warning
// naming both, when one fails to load. `before_load` runs once, after the first config check and before any
// weights are loaded. Returns the checkpoint's trainer_state.json (its step, lr_scale, rollbacks).
Json resume_into(const ExperimentConfig& config, const TrainOptions& o, const Json& resolved, LoadedPolicy& p,
                rl::GrpoTrainer& trainer, TrainStream& train, bool continuing, std::function<void()> before_load) {
    std::vector<std::string> candidates;
    if (!o.resume_from.empty()) {
        candidates.push_back(o.resume_from);
    } else {
        const std::vector<std::string> all = run_checkpoints(config.run_dir);
        for (auto it = all.rbegin(); it != all.rend(); ++it) candidates.push_back(config.run_dir + "/checkpoints/" + *it);
    }
    if (candidates.empty()) {
        throw IoError(config.run_dir + "/checkpoints: no complete checkpoint to resume from",
                      "checkpoint.every writes them; without --resume the run starts over");
    }
    std::string failed;  // the newest checkpoint that could not be loaded, and why
    auto note = [&](const std::string& dir, const Error& e) {
        if (!o.resume_from.empty()) throw;  // the one named: its own error
        if (failed.empty()) failed = "checkpoint " + dir + " could not be loaded (" + e.what() + ")";
        else log_info("warning: checkpoint " + dir + " could not be loaded either (" + e.what() + ")");
    };
    for (const auto& dir : candidates) {
        Json state;
        try {
            state = read_checkpoint_state(dir);
        } catch (const Error& e) {
            note(dir, e);
            continue;
        }
        check_resume_config(state["config"], resolved, o.resume_force, dir);
        const int step = state["step"].get<int>();
        // A checkpoint at the last step finishes its own run (the final outputs); a branch needs steps left.
        if (step > config.rl.steps || (step == config.rl.steps && !continuing)) {
            throw ConfigError(dir + " is at step " + std::to_string(step) + " and rl.steps is " + std::to_string(config.rl.steps) +
                              ": nothing left to train", "raise rl.steps (--set rl.steps=N) to train on");
        }
        if (before_load) {
            before_load();
            before_load = nullptr;
        }
        try {
            load_run_checkpoint(dir, p.model, trainer.learner());
            train.stream->seek(datasets::StreamPosition::from_json(state["stream"], dir + "/trainer_state.json: stream"));
        } catch (const Error& e) {
            note(dir, e);
            continue;
        }
        if (!failed.empty()) log_info("warning: " + failed + "; resuming from the older " + dir);
        log_info("resuming from " + dir + " (step " + std::to_string(step) + " of " + std::to_string(config.rl.steps) + ")");
        Json out = state;
        out["dir"] = dir;
        return out;
    }
    throw FormatError("no checkpoint of " + config.run_dir + " could be loaded; the newest: " + failed,
                      "without --resume the run starts over");
}

}  // namespace

int run_train(const ExperimentConfig& config, const TrainOptions& options) {
    Stopwatch wall;
    if (config.threads > 0) torch::set_num_threads(config.threads);
    // Everything that can fail on bad input is checked before the run directory is touched.
    LoadedPolicy p = load_policy(config.model, config.dtype, config.seed);
    datasets::PromptRenderer renderer(config.prompt_template, config.system_prompt, p.text.tokenizer_config,
                                      p.text_dir + "/tokenizer_config.json");
    TrainStream train = train_stream(config, renderer, p.text);
    std::vector<rl::EvalSuite> suites = make_suites(config.data.eval, renderer, p.text, config.rl.sampling);
    log_info("prompt template " + renderer.describe() + "; " + std::to_string(train.sources.size()) + " training source(s), " +
             std::to_string(suites.size()) + " evaluation suite(s)");
    const Json resolved_json = config.to_json();
    const std::string resolved = resolved_json.dump(2) + "\n";
    const std::string config_hash = text_hash(resolved);
    const bool resume = options.resume || !options.resume_from.empty();
    const std::string headline = suites.empty() ? "" : suites.front().name;
    Series reward{"reward (mean per step)", {}, 0, 1}, accuracy{"eval " + headline + " accuracy", {}, 0, 1},
        length{"mean completion length (tokens)", {}, 0, 0};

    Faults faults = Faults::from_env();
    int current_step = 0;
    rl::RewardFn fault_reward;  // null: the trainer's named rewards
    if (faults.nan_step > 0) {
        fault_reward = [base = rl::named_reward(config.rl.reward), &current_step, &faults](const std::string& c, const rl::PromptItem& item) {
            verifiers::VerifierResult r = base(c, item);
            if (current_step == faults.nan_step) r.reward = std::numeric_limits<double>::quiet_NaN();
            return r;
        };
    }
    std::unique_ptr<rl::GrpoTrainer> trainer;
    std::unique_ptr<LineAppender> metrics, samples;
    std::unique_ptr<EvalLog> evals;
    std::unique_ptr<EventFileWriter> board;  // run_dir/tensorboard
    EvalSnapshot before, last;
    // A new run directory's config.json, empty logs and the evaluation of the base policy at step 0.
    auto start_fresh = [&] {
        ensure_writable_dir(config.run_dir);
        write_file_atomic(config.run_dir + "/config.json", resolved);
        for (const char* log : kLogs) write_file_atomic(config.run_dir + "/" + log, "");
        write_file_atomic(config.run_dir + "/events.jsonl", "");
        remove_tree(config.run_dir + "/tensorboard");
        board = std::make_unique<EventFileWriter>(config.run_dir + "/tensorboard");
        evals = std::make_unique<EvalLog>(config.run_dir);
        std::printf("evaluation before RL:\n");
        std::vector<rl::EvalResult> results = evals->run(p.model, p.text, suites, config.rl.reward, 0);
        for (const auto& r : results) board->add(0, scalars_of(r.to_json(), "eval/" + r.name + "/"));
        before = EvalSnapshot::of(results, config.eval.show_samples);
    };
    rl::Watchdog watchdog(config.watchdog);
    // Logs cut back to `upto` (a resume or a rollback): lines after it dropped, later checkpoints removed, the
    // chart series and TensorBoard's files rebuilt from the kept lines, so each step appears once.
    auto reload_logs = [&](int upto) {
        for (const char* log : kLogs) {
            const int dropped = truncate_log(config.run_dir + "/" + log, upto);
            if (dropped > 0) log_info(std::string(log) + ": dropped " + std::to_string(dropped) + " line(s) after step " + std::to_string(upto));
        }
        for (const auto& name : remove_checkpoints_after(config.run_dir, upto)) {
            log_info("removed checkpoints/" + name + ": it follows step " + std::to_string(upto) + ", which the run continues from");
        }
        reward.points.clear();
        length.points.clear();
        accuracy.points.clear();
        for (const auto& j : read_jsonl(config.run_dir + "/metrics.jsonl")) {
            const double step = j["step"].get<double>();
            reward.points.emplace_back(step, j.value("reward_mean", 0.0));
            length.points.emplace_back(step, j.value("completion_length", 0.0));
            if (j.contains("eval_accuracy")) accuracy.points.emplace_back(step, j["eval_accuracy"].get<double>());
        }
        board.reset();
        remove_tree(config.run_dir + "/tensorboard");
        board = std::make_unique<EventFileWriter>(config.run_dir + "/tensorboard");
        for (Json j : read_jsonl(config.run_dir + "/eval.jsonl")) {
            j.erase("seconds");  // as the evaluations logged live (EvalResult::to_json)
            board->add(j.value("step", 0), scalars_of(j, "eval/" + j.value("suite", "") + "/"));
        }
        for (const auto& j : read_jsonl(config.run_dir + "/metrics.jsonl")) board->add(j.value("step", 0), scalars_of(j, "train/"));
    };
    int start = 0;  // the last step already done
    int rollbacks = 0;  // the watchdog's, over the whole run
    std::string resumed_from;
    if (resume) {
        // The reference (KL) is the base policy: the trainer is built on it, then the checkpoint is loaded in place.
        trainer = std::make_unique<rl::GrpoTrainer>(p.model, p.text, config.rl, fault_reward);
        // Without logs in run_dir, the run branches from the checkpoint into a new directory with new logs
        // (the base evaluated first, before the checkpoint's weights replace it).
        const bool continuing = file_exists(config.run_dir + "/metrics.jsonl");
        const Json state = resume_into(config, options, resolved_json, p, *trainer, train, continuing, [&] {
            if (!continuing) start_fresh();
        });
        start = state["step"].get<int>();
        trainer->set_lr_scale(state.value("lr_scale", 1.0));
        rollbacks = state.value("rollbacks", 0);
        resumed_from = state["dir"].get<std::string>();
        if (continuing) {
            write_file_atomic(config.run_dir + "/config.json", resolved);
            reload_logs(start);
            before = logged_eval(config.run_dir, 0, suites, config.eval.show_samples);
            int evaluated = 0;  // the last evaluation the run logged
            for (const auto& j : read_jsonl(config.run_dir + "/eval.jsonl")) evaluated = std::max(evaluated, j.value("step", 0));
            last = logged_eval(config.run_dir, evaluated, suites, config.eval.show_samples);
            evals = std::make_unique<EvalLog>(config.run_dir);
        }
        // The watchdog's history is the kept steps', as in the run that was never stopped.
        for (const auto& j : read_jsonl(config.run_dir + "/metrics.jsonl")) watchdog.check(watchdog_input(j));
        LineAppender(config.run_dir + "/events.jsonl").append(
            Json{{"step", start}, {"event", "resume"}, {"message", "resumed from " + resumed_from}}.dump());
    } else {
        start_fresh();
        trainer = std::make_unique<rl::GrpoTrainer>(p.model, p.text, config.rl, fault_reward);
    }
    if (config.watchdog.enabled && config.watchdog.action == "rollback" && run_checkpoints(config.run_dir).empty()) {
        // Something to roll back to before the first periodic checkpoint: the policy the run starts from.
        write_run_checkpoint(config.run_dir, start, p.model, p.text_dir, trainer->learner(),
                             {{"stream", train.stream->position().to_json()}, {"config", resolved_json}, {"config_hash", config_hash},
                              {"lr_scale", trainer->lr_scale()}, {"rollbacks", rollbacks}},
                             config.checkpoint.keep);
    }
    metrics = std::make_unique<LineAppender>(config.run_dir + "/metrics.jsonl");
    samples = std::make_unique<LineAppender>(config.run_dir + "/samples.jsonl");
    if (last.suites.size() != before.suites.size()) last = before;  // nothing evaluated since the base
    if (!before.suites.empty()) accuracy.points.insert(accuracy.points.begin(), {0, before.suites.front()["accuracy"].get<double>()});

    LineAppender events(config.run_dir + "/events.jsonl");
    // A tripped watchdog: stop naming the last good checkpoint, or (rollback) reload it with a lower learning
    // rate and return its step. The data stream goes on, so the offending batch (and those since the
    // checkpoint) is not trained on again.
    auto handle_watchdog = [&](const rl::WatchdogEvent& e, const Json& line) -> int {
        // The newest checkpoint before step - 1: what step e.step saw came from the previous step's update,
        // so that step's checkpoint is suspect.
        std::string last_good;
        for (const auto& name : run_checkpoints(config.run_dir)) {
            if (name <= checkpoint_name(e.step - 2)) last_good = config.run_dir + "/checkpoints/" + name;
        }
        Json ev = {{"step", e.step}, {"event", e.check}, {"message", e.message}, {"metrics", line}};
        const bool roll = config.watchdog.action == "rollback" && !last_good.empty() && rollbacks < config.watchdog.max_rollbacks;
        if (!roll) {
            ev["action"] = "stop";
            ev["last_good_checkpoint"] = last_good.empty() ? Json() : Json(last_good);
            events.append(ev.dump(-1, ' ', false, Json::error_handler_t::replace));
            std::string why = config.watchdog.action == "rollback" && !last_good.empty()
                                  ? " after " + std::to_string(rollbacks) + " rollback(s) (watchdog.max_rollbacks)" : "";
            throw Error("watchdog: step " + std::to_string(e.step) + ": " + e.message + "; the run stopped" + why,
                        last_good.empty() ? "no checkpoint was written before it (checkpoint.every)"
                                          : "the last good checkpoint is " + last_good + "; continue with --resume " + last_good +
                                                " (with --resume-force after changing the config)");
        }
        const Json state = read_checkpoint_state(last_good);
        load_run_checkpoint(last_good, p.model, trainer->learner());
        const int back = state["step"].get<int>();
        ++rollbacks;
        trainer->set_lr_scale(trainer->lr_scale() * config.watchdog.lr_factor);
        ev.update({{"action", "rollback"}, {"checkpoint", last_good}, {"lr_scale", trainer->lr_scale()}, {"rollbacks", rollbacks}});
        events.append(ev.dump(-1, ' ', false, Json::error_handler_t::replace));
        log_info("watchdog: step " + std::to_string(e.step) + ": " + e.message + "; rolled back to " + last_good +
                 ", learning rate x" + std::to_string(trainer->lr_scale()));
        reload_logs(back);
        if (!before.suites.empty()) accuracy.points.insert(accuracy.points.begin(), {0, before.suites.front()["accuracy"].get<double>()});
        watchdog.rewind(back);
        return back;
    };
    const bool progress = config.log.progress == "always" || (config.log.progress == "auto" && ::isatty(STDOUT_FILENO));
    const Eta eta{Stopwatch(), start, config.rl.steps};
    std::printf("\n%6s %8s %9s %10s %8s %8s %7s %8s\n", "step", "reward", "accuracy", "eval", "length", "clip", "s/step", "eta");
    double reward_window = 0, seconds_window = 0;
    int window = 0;
    for (int step = start + 1; step <= config.rl.steps; ++step) {
        current_step = step;
        const double lr_scale = trainer->lr_scale();
        if (step == faults.lr_step) trainer->set_lr_scale(lr_scale * faults.lr_factor);
        rl::StepMetrics m = trainer->step([&](int count) { return train.next(count); }, step);
        trainer->set_lr_scale(lr_scale);
        if (step == faults.nan_step) faults.nan_step = -1;  // once
        if (step == faults.lr_step) faults.lr_step = -1;
        Json line = m.to_json();
        if (auto event = watchdog.check(watchdog_input(line))) {
            const int back = handle_watchdog(*event, line);
            step = back;  // the loop goes on at back + 1
            continue;
        }
        reward.points.emplace_back(step, m.reward_mean);
        length.points.emplace_back(step, m.completion_length);
        reward_window += m.reward_mean;
        seconds_window += m.seconds_rollout + m.seconds_score + m.seconds_batch + m.seconds_update;
        ++window;
        if (config.log.samples_every > 0 && step % config.log.samples_every == 0) {
            for (const Json& j : sample_lines(step, trainer->last_kept(), p.text, config.rl.group_size, config.log.sample_groups)) {
                samples->append(j.dump(-1, ' ', false, Json::error_handler_t::replace));
            }
        }
        if (progress) {
            std::printf("step %d/%d  reward %.3f  accuracy %.3f  length %.1f  s: rollout %.2f score %.2f batch %.2f update %.2f  eta %s\n",
                        step, config.rl.steps, m.reward_mean, m.accuracy, m.completion_length, m.seconds_rollout, m.seconds_score,
                        m.seconds_batch, m.seconds_update, eta.at(step).c_str());
            std::fflush(stdout);
        }
        const bool eval_now = (config.eval.every > 0 && step % config.eval.every == 0) || step == config.rl.steps;
        if (eval_now) {
            std::vector<rl::EvalResult> results = evals->run(p.model, p.text, suites, config.rl.reward, step);
            last = EvalSnapshot::of(results, config.eval.show_samples);
            for (const auto& r : results) board->add(step, scalars_of(r.to_json(), "eval/" + r.name + "/"));
            if (!results.empty()) {
                line["eval_accuracy"] = results.front().accuracy;
                accuracy.points.emplace_back(step, results.front().accuracy);
            }
            std::printf("%6d %8.3f %9.3f %10s %8.1f %8.4f %7.2f %8s\n", step, reward_window / window, m.accuracy,
                        results.empty() ? "-" : percent(results.front().accuracy).c_str(), m.completion_length, m.clip_fraction,
                        seconds_window / window, eta.at(step).c_str());
            std::fflush(stdout);
            reward_window = seconds_window = 0;
            window = 0;
        }
        metrics->append(line.dump());
        board->add(step, scalars_of(line, "train/"));
        if (config.checkpoint.every > 0 && step % config.checkpoint.every == 0) {
            const std::string written = write_run_checkpoint(
                config.run_dir, step, p.model, p.text_dir, trainer->learner(),
                {{"stream", train.stream->position().to_json()}, {"config", resolved_json}, {"config_hash", config_hash},
                 {"lr_scale", trainer->lr_scale()}, {"rollbacks", rollbacks}},
                config.checkpoint.keep);
            log_info("checkpoint " + written);
        }
    }
    if (!suites.empty()) {
        std::printf("\nevaluation: before -> after %d RL steps\n", config.rl.steps);
        for (size_t s = 0; s < suites.size(); ++s) {
            const Json &b = before.suites[s], &a = last.suites[s];
            std::printf("  %-16s accuracy %s -> %s  (length %.1f -> %.1f; correct %.1f, wrong %.1f)\n", suites[s].name.c_str(),
                        percent(b["accuracy"].get<double>()).c_str(), percent(a["accuracy"].get<double>()).c_str(),
                        b["mean_length"].get<double>(), a["mean_length"].get<double>(), a["mean_length_correct"].get<double>(),
                        a["mean_length_wrong"].get<double>());
        }
        for (size_t i = 0; i < before.first_completions.size() && i < last.first_completions.size(); ++i) {
            const auto& item = suites.front().items[i];
            std::printf("\n  prompt  %s   (answer %s)\n  before  %s\n  after   %s\n", item.prompt.c_str(), item.answer.c_str(),
                        before.first_completions[i].c_str(), last.first_completions[i].c_str());
        }
    }
    const std::string checkpoint = config.run_dir + "/checkpoint";
    policy::save_hf_model(checkpoint, p.model);
    policy::copy_text_side(p.text_dir, checkpoint);
    write_file_atomic(config.run_dir + "/chart.svg", render_chart_svg({reward, accuracy, length}, "GRPO: " + config.run_dir));
    Json summary = {{"steps", config.rl.steps}, {"wall_seconds", wall.seconds()}, {"eval_before", before.by_suite()},
                    {"eval_after", last.by_suite()}};
    if (resume) summary["resumed_at_step"] = start;
    if (!suites.empty()) {
        summary.update({{"headline_suite", headline}, {"heldout_prompts", before.suites.front()["prompts"]},
                        {"heldout_accuracy_before", before.suites.front()["accuracy"]},
                        {"heldout_accuracy_after", last.suites.front()["accuracy"]}});
    }
    write_file_atomic(config.run_dir + "/summary.json", summary.dump(2) + "\n");
    std::printf("\nrun directory: %s (metrics.jsonl, samples.jsonl, eval.jsonl, eval_samples.jsonl, summary.json, chart.svg, checkpoint/)\n",
                config.run_dir.c_str());
    return 0;
}

}  // namespace aha::cli
