// The `aha` subcommands of the tiny R1-Zero experiment; see commands.h.
#include "cli/commands.h"

#include <cstdio>
#include <iostream>
#include <map>

#include "cli/chart.h"
#include "core/files.h"
#include "core/log.h"
#include "datasets/prompt_template.h"
#include "policy/checkpoint.h"
#include "rl/evaluate.h"

namespace aha::cli {

namespace {

// The task, its tokenizer and the prompt template, all determined by the config.
struct World {
    datasets::PointerChaseTask task;
    policy::CharTokenizer tokenizer;  // pretraining's; the trainer takes its tokenizer.json form (text)
    tokenizer::ModelText text;
    datasets::PromptTemplate prompt_template;

    explicit World(const ExperimentConfig& c)
        : task(c.task),
          tokenizer(policy::CharTokenizer::for_alphabet(task.alphabet())),
          text(tokenizer.model_text()),
          prompt_template(datasets::prompt_template(c.prompt_template)) {}

    rl::PromptItem item(const datasets::PointerChaseProblem& p) const {
        return {prompt_template.render(p.question), p.answer_text};
    }
};

struct CellResult {
    int hops = 0;
    rl::EvalResult eval;
    double chain_rate = 0;      // share of completions whose reasoning writes every hop correctly
    double first_hop_rate = 0;  // share whose reasoning starts with the correct first hop
};

void set_threads(const ExperimentConfig& c) {
    if (c.threads > 0) torch::set_num_threads(c.threads);
}

rollout::SamplingParams eval_sampling(const ExperimentConfig& c) {
    rollout::SamplingParams s = c.rl.sampling;
    s.temperature = c.eval.temperature;
    s.top_k = 0;
    s.top_p = 1.0;
    s.seed = 12345;
    return s;
}

CellResult evaluate_cell(policy::CausalLM& model, const World& w, const ExperimentConfig& c, int hops) {
    auto problems = w.task.heldout(hops, c.eval.max_prompts);
    std::vector<rl::PromptItem> items;
    for (const auto& p : problems) items.push_back(w.item(p));
    CellResult r;
    r.hops = hops;
    r.eval = rl::evaluate(model, w.text, items, eval_sampling(c), c.rl.reward);
    for (size_t i = 0; i < problems.size(); ++i) {
        const std::string& text = r.eval.completions[i];
        std::string reasoning = text.substr(0, text.find("</think>"));
        int written = w.task.correct_hops_written(problems[i], reasoning);
        r.chain_rate += written == hops;
        r.first_hop_rate += written >= 1;
    }
    r.chain_rate /= std::max<size_t>(1, problems.size());
    r.first_hop_rate /= std::max<size_t>(1, problems.size());
    return r;
}

std::vector<CellResult> evaluate_all(policy::CausalLM& model, const World& w, const ExperimentConfig& c) {
    std::vector<CellResult> cells;
    for (int k : c.eval.hops) cells.push_back(evaluate_cell(model, w, c, k));
    return cells;
}

std::string pct(double x) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%5.1f%%", 100.0 * x);
    return buf;
}

Json pretrain_identity(const ExperimentConfig& c) {
    return {{"seed", c.seed}, {"task", c.task.to_json()}, {"corpus", c.corpus.to_json()},
            {"model", c.model.to_json()}, {"pretrain", c.pretrain.to_json()}, {"prompt_template", c.prompt_template},
            {"text_side", "tokenizer.json"}};
}

policy::TransformerConfig model_config(const ExperimentConfig& c, const World& w) {
    policy::TransformerConfig m = c.model;
    m.vocab_size = w.tokenizer.vocab_size();
    return m;
}

}  // namespace

int run_pretrain(const ExperimentConfig& config, bool force) {
    set_threads(config);
    World w(config);
    const std::string info_path = config.base_checkpoint + "/pretrain_info.json";
    if (!force && file_exists(info_path)) {
        Json info = load_json_file(info_path);
        if (info.value("identity", Json()) == pretrain_identity(config)) {
            log_info("base checkpoint " + config.base_checkpoint + " was made with these settings; skipping (--force redoes it)");
            return 0;
        }
    }
    ensure_writable_dir(config.base_checkpoint);
    torch::manual_seed(static_cast<uint64_t>(config.seed));
    policy::CausalLM model(model_config(config, w));
    log_info("pretraining a " + std::to_string(model->num_parameters()) + "-parameter base model for " +
             std::to_string(config.pretrain.steps) + " steps");
    auto lines = [&](std::mt19937_64& rng) { return datasets::sample_pretrain_line(w.task, config.corpus, rng); };
    rl::PretrainResult result = rl::pretrain(model, w.tokenizer, lines, config.pretrain, [](int step, double loss) {
        log_info("pretrain step " + std::to_string(step) + "  loss " + std::to_string(loss));
    });
    // Go/no-go before RL: how often does the base write a full correct chain when sampled?
    ExperimentConfig sampled = config;
    sampled.eval.temperature = 1.0;
    CellResult k1 = evaluate_cell(model, w, config, 1);
    CellResult k2 = evaluate_cell(model, w, sampled, 2);
    log_info("base: held-out 1-hop greedy accuracy " + pct(k1.eval.accuracy) + "; 2-hop sampled (T=1) accuracy " +
             pct(k2.eval.accuracy) + ", full correct chain written in " + pct(k2.chain_rate));
    policy::save_checkpoint(config.base_checkpoint, model, w.tokenizer);
    Json info = {{"identity", pretrain_identity(config)},
                 {"final_loss", result.final_loss},
                 {"seconds", result.seconds},
                 {"parameters", model->num_parameters()},
                 {"heldout_1hop_greedy_accuracy", k1.eval.accuracy},
                 {"heldout_2hop_sampled_accuracy", k2.eval.accuracy},
                 {"heldout_2hop_sampled_chain_rate", k2.chain_rate}};
    write_file_atomic(info_path, info.dump(2) + "\n");
    log_info("saved base checkpoint to " + config.base_checkpoint + " (" + std::to_string(result.seconds) + " s)");
    return 0;
}

namespace {

policy::CausalLM load_base(const ExperimentConfig& config, const World& w, const std::string& dir) {
    if (!file_exists(dir + "/config.json")) {
        throw IoError(dir + ": no checkpoint there", "make the base model first: aha pretrain CONFIG");
    }
    policy::CausalLM model = policy::load_model(dir, config.dtype);
    const std::string tokenizer_json = dir + "/tokenizer.json";
    if (!file_exists(tokenizer_json) || load_json_file(tokenizer_json) != w.tokenizer.to_hf_tokenizer_json()) {
        throw FormatError(tokenizer_json + ": missing or differs from the task's vocabulary; was the checkpoint made for "
                          "another task or by an older aha?", "make it again: aha pretrain --force CONFIG");
    }
    model->eval();
    return model;
}

void print_cells(const std::string& label, const std::vector<CellResult>& cells) {
    for (const auto& c : cells) {
        std::printf("  %-6s %d-hop  accuracy %s  hop 1 written %s  all hops written %s  length %.1f (correct %.1f, wrong %.1f)  n=%d\n",
                    label.c_str(), c.hops, pct(c.eval.accuracy).c_str(), pct(c.first_hop_rate).c_str(), pct(c.chain_rate).c_str(),
                    c.eval.mean_length, c.eval.mean_length_correct, c.eval.mean_length_wrong, c.eval.count);
    }
}

Json cells_json(const std::vector<CellResult>& cells) {
    Json j = Json::object();
    for (const auto& c : cells) {
        Json e = c.eval.to_json();
        e["chain_rate"] = c.chain_rate;
        e["first_hop_rate"] = c.first_hop_rate;
        j[std::to_string(c.hops) + "_hop"] = e;
    }
    return j;
}

}  // namespace

int run_train(const ExperimentConfig& config) {
    Stopwatch wall;
    set_threads(config);
    World w(config);
    // Everything that can fail on bad input is checked before the run directory is created.
    policy::CausalLM model = load_base(config, w, config.base_checkpoint);
    ensure_writable_dir(config.run_dir);
    write_file_atomic(config.run_dir + "/config.json", config.to_json().dump(2) + "\n");
    const std::string metrics_path = config.run_dir + "/metrics.jsonl";
    write_file_atomic(metrics_path, "");
    LineAppender metrics(metrics_path);

    const std::string mode = config.eval.temperature == 0 ? "greedy" : "sampled";
    std::vector<CellResult> before = evaluate_all(model, w, config);
    std::printf("held-out evaluation (%s) before RL:\n", mode.c_str());
    print_cells("before", before);
    std::fflush(stdout);

    rl::GrpoTrainer trainer(model, w.text, config.rl);
    std::mt19937_64 rng(static_cast<uint64_t>(config.seed) * 7 + 1);
    const int headline = config.eval.hops.front();
    Series reward{"reward (mean per step)", {}, 0, 1}, accuracy{"held-out " + std::to_string(headline) + "-hop accuracy (" + mode + ")", {}, 0, 1},
        length{"mean completion length (tokens)", {}, 0, 0};
    accuracy.points.emplace_back(0, before.front().eval.accuracy);
    std::printf("\n%6s %8s %9s %10s %8s %8s %7s\n", "step", "reward", "accuracy", "held-out", "length", "clip", "s/step");
    double reward_window = 0, seconds_window = 0;
    int window = 0;
    for (int step = 1; step <= config.rl.steps; ++step) {
        auto next_items = [&](int count) {
            std::vector<rl::PromptItem> items;
            for (int i = 0; i < count; ++i) items.push_back(w.item(w.task.sample_train(rng)));
            return items;
        };
        rl::StepMetrics m = trainer.step(next_items, step);
        Json line = m.to_json();
        reward.points.emplace_back(step, m.reward_mean);
        length.points.emplace_back(step, m.completion_length);
        reward_window += m.reward_mean;
        seconds_window += m.seconds_rollout + m.seconds_score + m.seconds_update;
        ++window;
        if (step % config.eval.every == 0 || step == config.rl.steps) {
            CellResult cell = evaluate_cell(model, w, config, headline);
            line["heldout_accuracy"] = cell.eval.accuracy;
            line["heldout_chain_rate"] = cell.chain_rate;
            accuracy.points.emplace_back(step, cell.eval.accuracy);
            std::printf("%6d %8.3f %9.3f %10s %8.1f %8.4f %7.2f\n", step, reward_window / window, m.accuracy,
                        pct(cell.eval.accuracy).c_str(), m.completion_length, m.clip_fraction, seconds_window / window);
            std::fflush(stdout);
            reward_window = seconds_window = 0;
            window = 0;
        }
        metrics.append(line.dump());
    }

    std::vector<CellResult> after = evaluate_all(model, w, config);
    std::printf("\nheld-out evaluation (%s): before -> after %d RL steps\n", mode.c_str(), config.rl.steps);
    print_cells("before", before);
    print_cells("after", after);
    auto problems = w.task.heldout(headline, config.eval.max_prompts);
    for (int i = 0; i < config.eval.show_samples && i < static_cast<int>(problems.size()); ++i) {
        std::printf("\n  prompt  %s   (answer %s)\n  before  %s\n  after   %s\n", w.item(problems[i]).prompt.c_str(),
                    problems[i].answer_text.c_str(), before.front().eval.completions[i].c_str(),
                    after.front().eval.completions[i].c_str());
    }
    policy::save_checkpoint(config.run_dir + "/checkpoint", model, w.tokenizer);
    write_file_atomic(config.run_dir + "/chart.svg",
                      render_chart_svg({reward, accuracy, length}, "tiny R1-Zero: GRPO on " + std::to_string(headline) + "-hop pointer chasing"));
    Json summary = {{"eval_mode", mode},
                    {"heldout_prompts", before.front().eval.count},
                    {"headline_hops", headline},
                    {"heldout_accuracy_before", before.front().eval.accuracy},
                    {"heldout_accuracy_after", after.front().eval.accuracy},
                    {"before", cells_json(before)},
                    {"after", cells_json(after)},
                    {"steps", config.rl.steps},
                    {"wall_seconds", wall.seconds()}};
    write_file_atomic(config.run_dir + "/summary.json", summary.dump(2) + "\n");
    std::printf("\nrun directory: %s (metrics.jsonl, summary.json, chart.svg, checkpoint/)\n", config.run_dir.c_str());
    return 0;
}

int run_eval(const ExperimentConfig& config, const std::string& checkpoint) {
    set_threads(config);
    World w(config);
    policy::CausalLM model = load_base(config, w, checkpoint.empty() ? config.base_checkpoint : checkpoint);
    std::vector<CellResult> cells = evaluate_all(model, w, config);
    std::cout << cells_json(cells).dump(2) << std::endl;
    return 0;
}

}  // namespace aha::cli
