// The experiment config; see experiment.h.
#include "cli/experiment.h"

#include "datasets/prompt_template.h"

namespace aha::cli {

EvalConfig EvalConfig::from_json(ConfigReader r) {
    EvalConfig c;
    r.read("every", c.every)
        .read("hops", c.hops)
        .read("max_prompts", c.max_prompts)
        .read("temperature", c.temperature)
        .read("show_samples", c.show_samples);
    r.finish();
    return c;
}

Json EvalConfig::to_json() const {
    return {{"every", every}, {"hops", hops}, {"max_prompts", max_prompts}, {"temperature", temperature}, {"show_samples", show_samples}};
}

void EvalConfig::validate(const std::string& path) const {
    config_require(every >= 1, path + ".every", "expected >= 1");
    config_require(!hops.empty(), path + ".hops", "expected a non-empty list");
    for (int k : hops) config_require(k >= 1 && k <= 8, path + ".hops", "each hop count must be in 1..8");
    config_require(max_prompts >= 1, path + ".max_prompts", "expected >= 1");
    config_require(temperature >= 0, path + ".temperature", "expected >= 0 (0 = greedy)");
    config_require(show_samples >= 0, path + ".show_samples", "expected >= 0");
}

ExperimentConfig ExperimentConfig::from_json(const Json& j) {
    ExperimentConfig c;
    ConfigReader r(j, "");
    r.read("run_dir", c.run_dir)
        .read("base_checkpoint", c.base_checkpoint)
        .read("threads", c.threads)
        .read("seed", c.seed)
        .read("prompt_template", c.prompt_template)
        .read("dtype", c.dtype);
    c.task = datasets::PointerChaseConfig::from_json(r.child("task"));
    c.corpus = datasets::PretrainCorpusConfig::from_json(r.child("corpus"));
    c.model = policy::TransformerConfig::from_json(r.child("model"));
    c.pretrain = rl::PretrainConfig::from_json(r.child("pretrain"));
    c.rl = rl::GrpoConfig::from_json(r.child("rl"));
    c.eval = EvalConfig::from_json(r.child("eval"));
    r.finish();
    return c;
}

Json ExperimentConfig::to_json() const {
    return {{"run_dir", run_dir},
            {"base_checkpoint", base_checkpoint},
            {"threads", threads},
            {"seed", seed},
            {"prompt_template", prompt_template},
            {"dtype", dtype},
            {"task", task.to_json()},
            {"corpus", corpus.to_json()},
            {"model", model.to_json()},
            {"pretrain", pretrain.to_json()},
            {"rl", rl.to_json()},
            {"eval", eval.to_json()}};
}

void ExperimentConfig::validate() const {
    config_require(!run_dir.empty(), "run_dir", "expected a directory path");
    config_require(!base_checkpoint.empty(), "base_checkpoint", "expected a directory path");
    config_require(threads >= 0, "threads", "expected >= 0 (0 = default)");
    datasets::prompt_template(prompt_template);  // throws listing the valid names
    config_require_one_of(dtype, {"auto", "float32", "bfloat16", "float16"}, "dtype");
    task.validate("task");
    corpus.validate("corpus");
    model.validate("model");
    pretrain.validate("pretrain");
    rl.validate("rl");
    eval.validate("eval");
}

ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides) {
    Json j = load_config_file(path);
    for (const auto& o : overrides) apply_override(j, o);
    try {
        ExperimentConfig c = ExperimentConfig::from_json(j);
        c.validate();
        return c;
    } catch (const ConfigError& e) {
        throw ConfigError(path + ": " + e.what(), e.hint());
    }
}

}  // namespace aha::cli
