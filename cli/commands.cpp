// The `aha` subcommands that run an experiment config; see commands.h.
#include "cli/commands.h"

#include <cstdio>
#include <iostream>

#include "cli/chart.h"
#include "cli/run_checkpoint.h"
#include "cli/run_data.h"
#include "core/log.h"
#include "core/strings.h"
#include "datasets/data_stream.h"
#include "policy/checkpoint.h"

namespace aha::cli {

namespace {

void set_threads(int threads) {
    if (threads > 0) torch::set_num_threads(threads);
}

std::string pct(double x) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%5.1f%%", 100.0 * x);
    return buf;
}

// The demo task and its char-level vocabulary (pretraining's tokenizer; the checkpoint carries it as tokenizer.json).
struct DemoTask {
    datasets::PointerChaseTask task;
    policy::CharTokenizer tokenizer;
    datasets::PromptTemplate prompt_template;

    explicit DemoTask(const ExperimentConfig& c)
        : task(c.task),
          tokenizer(policy::CharTokenizer::for_alphabet(task.alphabet())),
          prompt_template(datasets::prompt_template(c.prompt_template == "chat" ? "tiny_r1_zero" : c.prompt_template)) {}

    rl::PromptItem item(const datasets::PointerChaseProblem& p) const { return {prompt_template.render(p.question), p.answer_text}; }
};

void require_demo(const ExperimentConfig& c, const std::string& command) {
    if (!c.has_demo) {
        throw ConfigError("aha " + command + " makes the tiny demo's base model and data: the config needs its task, corpus and "
                          "pretrain blocks", "see examples/tiny_r1_zero.json");
    }
}

Json pretrain_identity(const ExperimentConfig& c) {
    return {{"seed", c.seed}, {"task", c.task.to_json()}, {"corpus", c.corpus.to_json()}, {"model", c.pretrain_model.to_json()},
            {"pretrain", c.pretrain.to_json()}, {"text_side", "tokenizer.json"}};
}

// Go/no-go before RL: held-out 1-hop greedy accuracy, and how often a 2-hop sample (T=1) writes a full correct chain.
Json base_check(policy::CausalLM& model, const DemoTask& d, const ExperimentConfig& c) {
    const tokenizer::ModelText text = d.tokenizer.model_text();
    Json out;
    for (auto [hops, temperature] : {std::pair{1, 0.0}, std::pair{2, 1.0}}) {
        rl::EvalSuite suite;
        const auto problems = d.task.heldout(hops, c.demo_data.heldout_max_prompts);
        for (const auto& p : problems) suite.items.push_back(d.item(p));
        suite.sampling = c.rl.sampling;
        suite.sampling.temperature = temperature;
        suite.sampling.seed = 12345;
        rl::EvalResult r = rl::evaluate(model, text, suite, c.rl.reward);
        double chain = 0;
        for (size_t i = 0; i < problems.size(); ++i) {
            const std::string& t = r.samples[i].completion;
            chain += d.task.correct_hops_written(problems[i], t.substr(0, t.find("</think>"))) == hops;
        }
        out[std::to_string(hops) + "_hop"] = {{"accuracy", r.accuracy}, {"chain_rate", chain / std::max<size_t>(1, problems.size())},
                                              {"temperature", temperature}};
    }
    return out;
}

}  // namespace

int run_pretrain(const ExperimentConfig& config, bool force) {
    require_demo(config, "pretrain");
    config_require(!config.model.from_scratch, "model.path", "aha pretrain writes the base checkpoint to model.path");
    set_threads(config.threads);
    DemoTask d(config);
    const std::string& out = config.model.path;
    const std::string info_path = out + "/pretrain_info.json";
    if (!force && file_exists(info_path)) {
        Json info = load_json_file(info_path);
        if (info.value("identity", Json()) == pretrain_identity(config)) {
            log_info("base checkpoint " + out + " was made with these settings; skipping (--force redoes it)");
            return 0;
        }
    }
    ensure_writable_dir(out);
    torch::manual_seed(static_cast<uint64_t>(config.seed));
    policy::TransformerConfig arch = config.pretrain_model;
    arch.vocab_size = d.tokenizer.vocab_size();
    policy::CausalLM model(arch);
    log_info("pretraining a " + std::to_string(model->num_parameters()) + "-parameter base model for " +
             std::to_string(config.pretrain.steps) + " steps");
    auto lines = [&](std::mt19937_64& rng) { return datasets::sample_pretrain_line(d.task, config.corpus, rng); };
    rl::PretrainResult result = rl::pretrain(model, d.tokenizer, lines, config.pretrain, [](int step, double loss) {
        log_info("pretrain step " + std::to_string(step) + "  loss " + std::to_string(loss));
    });
    Json check = base_check(model, d, config);
    log_info("base: held-out 1-hop greedy accuracy " + pct(check["1_hop"]["accuracy"]) + "; 2-hop sampled (T=1) accuracy " +
             pct(check["2_hop"]["accuracy"]) + ", full correct chain written in " + pct(check["2_hop"]["chain_rate"]));
    policy::save_checkpoint(out, model, d.tokenizer);
    Json info = {{"identity", pretrain_identity(config)}, {"final_loss", result.final_loss}, {"seconds", result.seconds},
                 {"parameters", model->num_parameters()}, {"base_check", check}};
    write_file_atomic(info_path, info.dump(2) + "\n");
    log_info("saved base checkpoint to " + out + " (" + std::to_string(result.seconds) + " s)");
    return 0;
}

int run_data(const ExperimentConfig& config) {
    require_demo(config, "data");
    DemoTask d(config);
    const std::string& dir = config.demo_data.dir;
    ensure_writable_dir(dir);
    auto line = [](const datasets::PointerChaseProblem& p) {
        return Json{{"prompt", p.question}, {"answer", p.answer_text}, {"hops", p.functions.size()}}.dump() + "\n";
    };
    std::mt19937_64 rng(static_cast<uint64_t>(config.demo_data.seed) * 7 + 1);
    std::string train;
    for (int i = 0; i < config.demo_data.train_prompts; ++i) train += line(d.task.sample_train(rng));
    write_file_atomic(dir + "/train.jsonl", train);
    for (int k : config.demo_data.heldout_hops) {
        std::string heldout;
        for (const auto& p : d.task.heldout(k, config.demo_data.heldout_max_prompts)) heldout += line(p);
        write_file_atomic(dir + "/heldout_" + std::to_string(k) + "hop.jsonl", heldout);
    }
    log_info("wrote " + std::to_string(config.demo_data.train_prompts) + " training prompts and held-out prompts for " +
             std::to_string(config.demo_data.heldout_hops.size()) + " hop counts to " + dir);
    return 0;
}

namespace {

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

// One line of samples.jsonl: the first kept group of the step, its prompt decoded from the ids the policy saw.
Json sample_line(int step, const rl::ScoredRollout& kept, const tokenizer::ModelText& text, int G) {
    if (kept.size() == 0) return Json();
    std::vector<int> prompt;
    auto ids = kept.rollout.prompt_ids[0];
    auto valid = kept.rollout.prompt_valid[0];
    for (int64_t t = 0; t < ids.size(0); ++t) {
        if (valid[t].item<bool>()) prompt.push_back(static_cast<int>(ids[t].item<int64_t>()));
    }
    Json completions = Json::array(), rewards = Json::array(), shaped = Json::array(), verdicts = Json::array();
    for (int i = 0; i < G && i < kept.size(); ++i) {
        completions.push_back(kept.completions[static_cast<size_t>(i)]);
        rewards.push_back(kept.results[static_cast<size_t>(i)].reward);
        shaped.push_back(kept.shaped[i].item<double>());
        verdicts.push_back(verifiers::verdict_name(kept.results[static_cast<size_t>(i)].verdict));
    }
    const auto& item = kept.items.front();
    return {{"step", step}, {"source", item.source}, {"prompt", text.tokenizer->decode(prompt, false)}, {"answer", item.answer},
            {"reward_name", item.reward}, {"completions", completions}, {"rewards", rewards},
            {"shaped_rewards", shaped}, {"verdicts", verdicts}};
}

Json by_suite(const std::vector<rl::EvalResult>& results) {
    Json j = Json::object();
    for (const auto& r : results) j[r.name] = r.to_json();
    return j;
}

}  // namespace

int run_train(const ExperimentConfig& config) {
    Stopwatch wall;
    set_threads(config.threads);
    // Everything that can fail on bad input is checked before the run directory is created.
    LoadedPolicy p = load_policy(config.model, config.dtype, config.seed);
    datasets::PromptRenderer renderer(config.prompt_template, config.system_prompt, p.text.tokenizer_config,
                                      p.text_dir + "/tokenizer_config.json");
    TrainStream train = train_stream(config, renderer, p.text);
    std::vector<rl::EvalSuite> suites = make_suites(config.data.eval, renderer, p.text, config.rl.sampling);
    log_info("prompt template " + renderer.describe() + "; " + std::to_string(train.sources.size()) + " training source(s), " +
             std::to_string(suites.size()) + " evaluation suite(s)");
    ensure_writable_dir(config.run_dir);
    const std::string resolved = config.to_json().dump(2) + "\n";
    const std::string config_hash = text_hash(resolved);
    write_file_atomic(config.run_dir + "/config.json", resolved);
    for (const char* log : {"metrics.jsonl", "samples.jsonl", "eval.jsonl", "eval_samples.jsonl"}) {
        write_file_atomic(config.run_dir + "/" + log, "");
    }
    LineAppender metrics(config.run_dir + "/metrics.jsonl"), samples(config.run_dir + "/samples.jsonl");
    EvalLog evals(config.run_dir);

    std::printf("evaluation before RL:\n");
    std::vector<rl::EvalResult> before = evals.run(p.model, p.text, suites, config.rl.reward, 0);
    rl::GrpoTrainer trainer(p.model, p.text, config.rl);
    const std::string headline = suites.empty() ? "" : suites.front().name;
    Series reward{"reward (mean per step)", {}, 0, 1}, accuracy{"eval " + headline + " accuracy", {}, 0, 1},
        length{"mean completion length (tokens)", {}, 0, 0};
    if (!before.empty()) accuracy.points.emplace_back(0, before.front().accuracy);
    std::printf("\n%6s %8s %9s %10s %8s %8s %7s\n", "step", "reward", "accuracy", "eval", "length", "clip", "s/step");
    double reward_window = 0, seconds_window = 0;
    int window = 0;
    std::vector<rl::EvalResult> last = before;
    for (int step = 1; step <= config.rl.steps; ++step) {
        rl::StepMetrics m = trainer.step([&](int count) { return train.next(count); }, step);
        Json line = m.to_json();
        reward.points.emplace_back(step, m.reward_mean);
        length.points.emplace_back(step, m.completion_length);
        reward_window += m.reward_mean;
        seconds_window += m.seconds_rollout + m.seconds_score + m.seconds_batch + m.seconds_update;
        ++window;
        Json sample = sample_line(step, trainer.last_kept(), p.text, config.rl.group_size);
        if (!sample.is_null()) samples.append(sample.dump(-1, ' ', false, Json::error_handler_t::replace));
        const bool eval_now = (config.eval.every > 0 && step % config.eval.every == 0) || step == config.rl.steps;
        if (eval_now) {
            last = evals.run(p.model, p.text, suites, config.rl.reward, step);
            if (!last.empty()) {
                line["eval_accuracy"] = last.front().accuracy;
                accuracy.points.emplace_back(step, last.front().accuracy);
            }
            std::printf("%6d %8.3f %9.3f %10s %8.1f %8.4f %7.2f\n", step, reward_window / window, m.accuracy,
                        last.empty() ? "-" : pct(last.front().accuracy).c_str(), m.completion_length, m.clip_fraction,
                        seconds_window / window);
            std::fflush(stdout);
            reward_window = seconds_window = 0;
            window = 0;
        }
        metrics.append(line.dump());
        if (config.checkpoint.every > 0 && step % config.checkpoint.every == 0) {
            const std::string written = write_run_checkpoint(
                config.run_dir, step, p.model, p.text_dir, trainer.learner(),
                {{"stream", train.stream->position().to_json()}, {"config_hash", config_hash}}, config.checkpoint.keep);
            log_info("checkpoint " + written);
        }
    }
    if (!suites.empty()) {
        std::printf("\nevaluation: before -> after %d RL steps\n", config.rl.steps);
        for (size_t s = 0; s < suites.size(); ++s) {
            std::printf("  %-16s accuracy %s -> %s  (length %.1f -> %.1f; correct %.1f, wrong %.1f)\n", suites[s].name.c_str(),
                        pct(before[s].accuracy).c_str(), pct(last[s].accuracy).c_str(), before[s].mean_length, last[s].mean_length,
                        last[s].mean_length_correct, last[s].mean_length_wrong);
        }
        for (int i = 0; i < config.eval.show_samples && i < before.front().prompts; ++i) {
            const auto& item = suites.front().items[static_cast<size_t>(i)];
            std::printf("\n  prompt  %s   (answer %s)\n  before  %s\n  after   %s\n", item.prompt.c_str(), item.answer.c_str(),
                        before.front().samples[static_cast<size_t>(i * before.front().n)].completion.c_str(),
                        last.front().samples[static_cast<size_t>(i * last.front().n)].completion.c_str());
        }
    }
    const std::string checkpoint = config.run_dir + "/checkpoint";
    policy::save_hf_model(checkpoint, p.model);
    policy::copy_text_side(p.text_dir, checkpoint);
    write_file_atomic(config.run_dir + "/chart.svg", render_chart_svg({reward, accuracy, length}, "GRPO: " + config.run_dir));
    Json summary = {{"steps", config.rl.steps}, {"wall_seconds", wall.seconds()}, {"eval_before", by_suite(before)},
                    {"eval_after", by_suite(last)}};
    if (!suites.empty()) {
        summary.update({{"headline_suite", headline}, {"heldout_prompts", before.front().prompts},
                        {"heldout_accuracy_before", before.front().accuracy}, {"heldout_accuracy_after", last.front().accuracy}});
    }
    write_file_atomic(config.run_dir + "/summary.json", summary.dump(2) + "\n");
    std::printf("\nrun directory: %s (metrics.jsonl, samples.jsonl, eval.jsonl, eval_samples.jsonl, summary.json, chart.svg, checkpoint/)\n",
                config.run_dir.c_str());
    return 0;
}

int run_eval(const EvalOptions& o) {
    ExperimentConfig c;
    if (!o.config.empty()) c = load_experiment(o.config, o.overrides);
    if (!o.model.empty()) c.model = ModelSourceConfig{o.model, "", false, {}};
    if (c.model.path.empty() && !c.model.from_scratch) throw ConfigError("missing --model DIR", "see aha eval --help");
    if (!o.prompt_template.empty()) c.prompt_template = o.prompt_template;
    if (!o.system_prompt.empty()) c.system_prompt = o.system_prompt;
    if (!o.dtype.empty()) c.dtype = o.dtype;
    if (!o.data.empty()) {
        c.data.eval.clear();
        for (size_t i = 0; i < o.data.size(); ++i) {
            const bool preset = !file_exists(o.data[i]);
            Json j = preset ? Json{{"preset", o.data[i]}} : Json{{"path", o.data[i]}};
            c.data.eval.push_back(rl::EvalSuiteConfig::from_json(ConfigReader(j, "--data " + o.data[i])));
        }
    }
    for (auto& s : c.data.eval) {
        if (o.n > 0) s.n = o.n;
        if (o.temperature >= 0) s.temperature = o.temperature;
        if (o.max_new_tokens > 0) s.max_new_tokens = o.max_new_tokens;
        if (o.max_prompts > 0) s.max_prompts = o.max_prompts;
    }
    for (size_t i = 0; i < c.data.eval.size(); ++i) c.data.eval[i].validate("--data[" + std::to_string(i) + "]");
    if (c.data.eval.empty()) throw ConfigError("no evaluation suites: give --data PRESET|FILE or a config with data.eval",
                                               "presets: " + join(datasets::data_source_preset_names()));
    set_threads(o.threads > 0 ? o.threads : c.threads);
    LoadedPolicy p = load_policy(c.model, c.dtype, c.seed);
    datasets::PromptRenderer renderer(c.prompt_template, c.system_prompt, p.text.tokenizer_config, p.text_dir + "/tokenizer_config.json");
    std::vector<rl::EvalSuite> suites = make_suites(c.data.eval, renderer, p.text, c.rl.sampling);
    if (!o.out.empty()) {
        ensure_writable_dir(o.out);
        for (const char* log : {"eval.jsonl", "eval_samples.jsonl"}) write_file_atomic(o.out + "/" + log, "");
    }
    EvalLog evals(o.out, stderr);
    for (const auto& r : evals.run(p.model, p.text, suites, c.rl.reward, 0)) std::cout << r.to_json().dump() << "\n";
    return 0;
}

}  // namespace aha::cli
