// One experiment = one JSON file: the task, the pretraining corpus, the model, pretraining, GRPO and
// evaluation settings of a tiny R1-Zero run. Strict: unknown keys are errors naming their path.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "datasets/pointer_chase.h"
#include "datasets/pretrain_corpus.h"
#include "policy/transformer.h"
#include "rl/grpo.h"
#include "rl/pretrain.h"

namespace aha::cli {

struct EvalConfig {
    int every = 25;                  // evaluate every N RL steps (and before the first, after the last)
    std::vector<int> hops = {2, 3};  // held-out cells; the first is the headline number
    int max_prompts = 208;           // per cell (a fixed seeded subset when the cell is larger)
    double temperature = 0.0;        // 0 = greedy
    int show_samples = 3;            // completions printed before/after (the first prompts, not picked)

    static EvalConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct ExperimentConfig {
    std::string run_dir = "runs/tiny_r1_zero";
    std::string base_checkpoint = "runs/cache/tiny_base";  // written by `aha pretrain`, read by `aha train`
    int threads = 0;                                        // 0 = LibTorch's default
    int64_t seed = 1;                                       // model init and RL prompt order
    std::string prompt_template = "tiny_r1_zero";
    // The policy's weights dtype for RL and eval: auto (as stored), float32, bfloat16 or float16. Low
    // precision trains with fp32 master weights.
    std::string dtype = "auto";
    datasets::PointerChaseConfig task;
    datasets::PretrainCorpusConfig corpus;
    policy::TransformerConfig model;  // vocab_size is set from the tokenizer
    rl::PretrainConfig pretrain;
    rl::GrpoConfig rl;
    EvalConfig eval;

    static ExperimentConfig from_json(const Json& j);
    Json to_json() const;
    void validate() const;
};

// Reads CONFIG, applies "--set key=value" overrides, parses strictly and validates.
ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace aha::cli
