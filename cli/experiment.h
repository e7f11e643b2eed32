// One experiment = one JSON file: the model (a Hugging Face checkpoint directory, or an architecture to build
// from scratch), the prompt template, the training and evaluation data, and the GRPO settings. The tiny
// demo's pretraining blocks (task, corpus, pretrain, demo_data) are read by `aha pretrain` and `aha data`
// only; the trainer knows no task. Strict: unknown keys are errors naming their path.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "datasets/data_source.h"
#include "datasets/pointer_chase.h"
#include "datasets/pretrain_corpus.h"
#include "policy/transformer.h"
#include "rl/evaluate.h"
#include "rl/grpo.h"
#include "rl/pretrain.h"
#include "rl/watchdog.h"

namespace aha::cli {

// "model": {"path": DIR, "tokenizer"?: PATH} loads a checkpoint; {architecture keys..., "tokenizer": PATH}
// builds a fresh model (seeded by "seed") whose vocabulary is the tokenizer's.
struct ModelSourceConfig {
    std::string path;       // a Hugging Face checkpoint directory (config.json, safetensors, tokenizer files)
    std::string tokenizer;  // a tokenizer.json, or a directory holding one (with its tokenizer_config.json)
    bool from_scratch = false;
    policy::TransformerConfig architecture;  // when from_scratch (vocab_size comes from the tokenizer)

    static ModelSourceConfig from_json(const Json& j, const std::string& path);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct DataConfig {
    std::vector<datasets::DataSourceConfig> train;  // mixed by weight
    std::vector<rl::EvalSuiteConfig> eval;          // run at step 0, every eval.every steps and at the end

    static DataConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct EvalConfig {
    int every = 25;        // evaluate every N RL steps (and before the first, after the last); 0 = only then
    int show_samples = 3;  // first-suite completions printed before/after (the first prompts, not picked)

    static EvalConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

// Periodic checkpoints of a run (cli/run_checkpoint.h): run_dir/checkpoints/step_NNNNNN every `every` RL
// steps (0 = none; the final checkpoint/ is written either way), the newest `keep` kept.
struct CheckpointConfig {
    int every = 0;
    int keep = 2;

    static CheckpointConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

// What a run shows while it runs (cli/train.cpp): samples.jsonl gets the first `sample_groups` kept groups
// (a prompt with all its completions, rewards and verdicts) every `samples_every` steps; `progress` prints
// one line per step (step/total, reward, accuracy, length, seconds per phase, ETA) when stdout is a
// terminal ("auto"), always, or never. The table at evaluation steps is printed either way.
struct LogConfig {
    int samples_every = 1;
    int sample_groups = 1;
    std::string progress = "auto";

    static LogConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

// `aha data`: the demo's prompts written as dataset files (train.jsonl, heldout_<k>hop.jsonl) in `dir`.
struct DemoDataConfig {
    std::string dir = "runs/cache/tiny_data";
    int train_prompts = 20000;        // draws from the task's training distribution (repeats allowed)
    int64_t seed = 1;                 // of those draws (the run's seed shuffles the stream over them)
    std::vector<int> heldout_hops = {2, 3};
    int heldout_max_prompts = 208;    // per hop count (a fixed seeded subset when there are more)

    static DemoDataConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct ExperimentConfig {
    std::string description;  // free text: what the run is, where its settings come from (recipes)
    std::string run_dir = "runs/experiment";
    int threads = 0;     // 0 = LibTorch's default
    int64_t seed = 1;    // a fresh model's init and the data stream's shuffle
    // The policy's weights dtype: auto (as stored), float32, bfloat16 or float16; low precision trains with
    // fp32 master weights.
    std::string dtype = "auto";
    ModelSourceConfig model;
    // "chat" (the checkpoint's own chat template), a named template (datasets/prompt_template.h) or a
    // template string with {prompt}; system_prompt only with "chat".
    std::string prompt_template = "chat";
    std::string system_prompt;
    DataConfig data;
    rl::GrpoConfig rl;
    EvalConfig eval;
    CheckpointConfig checkpoint;
    LogConfig log;
    rl::WatchdogConfig watchdog;
    // The tiny demo's base model (aha pretrain writes model.path) and its data files (aha data).
    bool has_demo = false;  // any of the four blocks given
    datasets::PointerChaseConfig task;
    datasets::PretrainCorpusConfig corpus;
    rl::PretrainConfig pretrain;
    policy::TransformerConfig pretrain_model;  // pretrain.model
    DemoDataConfig demo_data;

    static ExperimentConfig from_json(const Json& j);
    Json to_json() const;
    void validate() const;
};

// One key whose value differs between a run's saved resolved config and the config it is resumed with.
struct ConfigChange {
    std::string key;     // dotted path, e.g. "rl.learning_rate" or "data.train[0].path"
    Json saved, now;     // null where the key is absent on that side
    bool allowed = false;  // on the list that may change on resume (steps, eval/log/checkpoint cadence, run_dir, description)
};

// Every leaf that differs between `saved` and `now` (resolved configs, ExperimentConfig::to_json).
std::vector<ConfigChange> config_changes(const Json& saved, const Json& now);

// Reads CONFIG, applies "--set key=value" overrides, parses strictly and validates.
ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace aha::cli
