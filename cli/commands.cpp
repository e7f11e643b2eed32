// The `aha` subcommands that run an experiment config; see commands.h.
#include "cli/commands.h"

#include <cstdio>
#include <iostream>

#include "cli/run_data.h"
#include "core/log.h"
#include "core/strings.h"
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
