// The experiment config; see experiment.h.
#include "cli/experiment.h"

#include <set>

#include "core/config_fields.h"
#include "datasets/prompt_template.h"

namespace aha::cli {

namespace {

// A copy of the object at `key` of `j` without `drop`'s keys, for blocks that mix their own keys with a
// component's (the component's reader then rejects anything else).
Json without(const Json& j, const std::vector<std::string>& drop) {
    Json out = j.is_object() ? j : Json::object();
    for (const auto& k : drop) out.erase(k);
    return out;
}

}  // namespace

ModelSourceConfig ModelSourceConfig::from_json(const Json& j, const std::string& path) {
    ModelSourceConfig c;
    if (!j.is_null() && !j.is_object()) throw ConfigError(path + ": expected an object with \"path\" (a checkpoint directory)");
    const Json m = j.is_object() ? j : Json::object();
    ConfigReader r(m, path);
    r.read("tokenizer", c.tokenizer);
    if (m.contains("path") || m.size() == (m.contains("tokenizer") ? 1u : 0u)) {
        r.read("path", c.path);
        r.finish();  // architecture keys beside a checkpoint path are an error: the checkpoint has its own
        return c;
    }
    c.from_scratch = true;
    c.architecture = policy::TransformerConfig::from_json(ConfigReader(without(m, {"tokenizer"}), path));
    return c;
}

Json ModelSourceConfig::to_json() const {
    if (!from_scratch) {
        Json j = {{"path", path}};
        if (!tokenizer.empty()) j["tokenizer"] = tokenizer;
        return j;
    }
    Json j = architecture.to_json();
    j["tokenizer"] = tokenizer;
    return j;
}

void ModelSourceConfig::validate(const std::string& key) const {
    if (from_scratch) {
        config_require(!tokenizer.empty(), key + ".tokenizer", "a model built from architecture keys needs a tokenizer.json path");
        architecture.validate(key);
    } else {
        config_require(!path.empty(), key + ".path", "expected a Hugging Face checkpoint directory");
    }
}

DataConfig DataConfig::from_json(ConfigReader r) {
    DataConfig c;
    for (auto& s : r.children("train")) c.train.push_back(datasets::DataSourceConfig::from_json(s));
    for (auto& s : r.children("eval")) c.eval.push_back(rl::EvalSuiteConfig::from_json(s));
    r.finish();
    return c;
}

Json DataConfig::to_json() const {
    Json train = Json::array(), eval = Json::array();
    for (const auto& s : this->train) train.push_back(s.to_json());
    for (const auto& s : this->eval) eval.push_back(s.to_json());
    return {{"train", train}, {"eval", eval}};
}

void DataConfig::validate(const std::string& path) const {
    config_require(!train.empty(), path + ".train",
                   "expected a list of data sources, e.g. [{\"preset\": \"gsm8k\"}] or [{\"path\": \"train.jsonl\", "
                   "\"prompt_key\": \"question\", \"answer_key\": \"answer\"}]");
    for (size_t i = 0; i < train.size(); ++i) train[i].validate(path + ".train[" + std::to_string(i) + "]");
    std::vector<std::string> names;
    for (size_t i = 0; i < eval.size(); ++i) {
        const std::string at = path + ".eval[" + std::to_string(i) + "]";
        eval[i].validate(at);
        for (const auto& n : names) config_require(n != eval[i].data.name, at + ".name", "'" + n + "' names two suites");
        names.push_back(eval[i].data.name);
    }
}

namespace {

const ConfigFields<EvalConfig>& eval_fields() {
    static const ConfigFields<EvalConfig> f = {
        field("every", &EvalConfig::every, at_least(0, " (0 = before the first and after the last step only)")),
        field("show_samples", &EvalConfig::show_samples, at_least(0)),
    };
    return f;
}

const ConfigFields<CheckpointConfig>& checkpoint_fields() {
    static const ConfigFields<CheckpointConfig> f = {
        field("every", &CheckpointConfig::every, at_least(0, " (0 = only the final checkpoint/)")),
        field("keep", &CheckpointConfig::keep, at_least(1)),
    };
    return f;
}

const ConfigFields<LogConfig>& log_fields() {
    static const ConfigFields<LogConfig> f = {
        field("samples_every", &LogConfig::samples_every, at_least(0, " (0 = no samples.jsonl lines)")),
        field("sample_groups", &LogConfig::sample_groups, at_least(1)),
        field("progress", &LogConfig::progress, one_of({"auto", "always", "never"})),
    };
    return f;
}

const ConfigFields<DemoDataConfig>& demo_data_fields() {
    static const ConfigFields<DemoDataConfig> f = {
        field("dir", &DemoDataConfig::dir, non_empty("expected a directory")),
        field("train_prompts", &DemoDataConfig::train_prompts, at_least(1)),
        field("seed", &DemoDataConfig::seed),
        field("heldout_hops", &DemoDataConfig::heldout_hops, each(in_range(1, 8), "each hop count must be in 1..8")),
        field("heldout_max_prompts", &DemoDataConfig::heldout_max_prompts, at_least(1)),
    };
    return f;
}

}  // namespace

EvalConfig EvalConfig::from_json(ConfigReader r) { return read_block(eval_fields(), std::move(r)); }

Json EvalConfig::to_json() const { return block_json(eval_fields(), *this); }

void EvalConfig::validate(const std::string& path) const { check_fields(eval_fields(), *this, path); }

CheckpointConfig CheckpointConfig::from_json(ConfigReader r) { return read_block(checkpoint_fields(), std::move(r)); }

Json CheckpointConfig::to_json() const { return block_json(checkpoint_fields(), *this); }

void CheckpointConfig::validate(const std::string& path) const { check_fields(checkpoint_fields(), *this, path); }

LogConfig LogConfig::from_json(ConfigReader r) { return read_block(log_fields(), std::move(r)); }

Json LogConfig::to_json() const { return block_json(log_fields(), *this); }

void LogConfig::validate(const std::string& path) const { check_fields(log_fields(), *this, path); }

DemoDataConfig DemoDataConfig::from_json(ConfigReader r) { return read_block(demo_data_fields(), std::move(r)); }

Json DemoDataConfig::to_json() const { return block_json(demo_data_fields(), *this); }

void DemoDataConfig::validate(const std::string& path) const { check_fields(demo_data_fields(), *this, path); }

ExperimentConfig ExperimentConfig::from_json(const Json& j) {
    ExperimentConfig c;
    ConfigReader r(j, "");
    r.read("description", c.description)
        .read("run_dir", c.run_dir)
        .read("threads", c.threads)
        .read("seed", c.seed)
        .read("dtype", c.dtype)
        .read("prompt_template", c.prompt_template)
        .read("system_prompt", c.system_prompt);
    r.child("model");  // marks the key known; read below with its own rules
    c.model = ModelSourceConfig::from_json(j.is_object() && j.contains("model") ? j["model"] : Json(), "model");
    c.data = DataConfig::from_json(r.child("data"));
    c.rl = rl::GrpoConfig::from_json(r.child("rl"));
    c.eval = EvalConfig::from_json(r.child("eval"));
    c.checkpoint = CheckpointConfig::from_json(r.child("checkpoint"));
    c.log = LogConfig::from_json(r.child("log"));
    c.watchdog = rl::WatchdogConfig::from_json(r.child("watchdog"));
    for (const char* demo : {"task", "corpus", "pretrain", "demo_data"}) c.has_demo = c.has_demo || (j.is_object() && j.contains(demo));
    c.task = datasets::PointerChaseConfig::from_json(r.child("task"));
    c.corpus = datasets::PretrainCorpusConfig::from_json(r.child("corpus"));
    r.child("pretrain");
    const Json pretrain = j.is_object() && j.contains("pretrain") ? j["pretrain"] : Json::object();
    c.pretrain = rl::PretrainConfig::from_json(ConfigReader(without(pretrain, {"model"}), "pretrain"));
    c.pretrain_model = policy::TransformerConfig::from_json(
        ConfigReader(pretrain.is_object() && pretrain.contains("model") ? pretrain["model"] : Json::object(), "pretrain.model"));
    c.demo_data = DemoDataConfig::from_json(r.child("demo_data"));
    r.finish();
    return c;
}

Json ExperimentConfig::to_json() const {
    Json j = {{"description", description}, {"run_dir", run_dir},       {"threads", threads},   {"seed", seed},           {"dtype", dtype},
              {"model", model.to_json()}, {"prompt_template", prompt_template},         {"system_prompt", system_prompt},
              {"data", data.to_json()},   {"rl", rl.to_json()},   {"eval", eval.to_json()},
              {"checkpoint", checkpoint.to_json()}, {"log", log.to_json()},
              {"watchdog", watchdog.to_json()}};
    if (has_demo) {
        Json p = pretrain.to_json();
        p["model"] = pretrain_model.to_json();
        j.update({{"task", task.to_json()}, {"corpus", corpus.to_json()}, {"pretrain", p}, {"demo_data", demo_data.to_json()}});
    }
    return j;
}

void ExperimentConfig::validate() const {
    config_require(!run_dir.empty(), "run_dir", "expected a directory path");
    config_require(threads >= 0, "threads", "expected >= 0 (0 = default)");
    config_require_one_of(dtype, {"auto", "float32", "bfloat16", "float16"}, "dtype");
    model.validate("model");
    if (prompt_template != "chat") datasets::prompt_template(prompt_template);  // throws listing the valid names
    config_require(system_prompt.empty() || prompt_template == "chat", "system_prompt",
                   "only prompt_template \"chat\" takes a system prompt");
    data.validate("data");
    rl.validate("rl");
    eval.validate("eval");
    checkpoint.validate("checkpoint");
    log.validate("log");
    watchdog.validate("watchdog");
    if (has_demo) {
        task.validate("task");
        corpus.validate("corpus");
        pretrain.validate("pretrain");
        pretrain_model.validate("pretrain.model");
        demo_data.validate("demo_data");
    }
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

namespace {

// The keys a resumed run may change: how long it runs, how often it evaluates, logs and checkpoints, and
// what the watchdog watches for.
bool may_change_on_resume(const std::string& key) {
    for (const char* k : {"rl.steps", "run_dir", "description", "eval.every", "eval.show_samples"}) {
        if (key == k) return true;
    }
    for (const char* prefix : {"checkpoint.", "log.", "watchdog."}) {
        if (key.rfind(prefix, 0) == 0) return true;
    }
    return false;
}

void diff_into(const std::string& key, const Json& saved, const Json& now, std::vector<ConfigChange>& out) {
    if (saved.is_object() && now.is_object()) {
        std::set<std::string> keys;
        for (const auto& item : saved.items()) keys.insert(item.key());
        for (const auto& item : now.items()) keys.insert(item.key());
        for (const auto& k : keys) {
            diff_into(key.empty() ? k : key + "." + k, saved.value(k, Json()), now.value(k, Json()), out);
        }
        return;
    }
    if (saved.is_array() && now.is_array() && saved.size() == now.size()) {
        for (size_t i = 0; i < saved.size(); ++i) diff_into(key + "[" + std::to_string(i) + "]", saved[i], now[i], out);
        return;
    }
    if (saved != now) out.push_back({key, saved, now, may_change_on_resume(key)});
}

}  // namespace

std::vector<ConfigChange> config_changes(const Json& saved, const Json& now) {
    std::vector<ConfigChange> out;
    diff_into("", saved, now, out);
    return out;
}

}  // namespace aha::cli
