// The `aha` subcommands that run an experiment config: pretrain (the demo's base model), data (the demo's
// prompt files), train (GRPO on any checkpoint and data) and eval (a checkpoint on evaluation suites).
#pragma once

#include <string>
#include <vector>

#include "cli/experiment.h"

namespace aha::cli {

// Pretrains the demo's base model (pretrain.model on the task's corpus) into model.path; skipped when a
// checkpoint made from the same settings is already there, unless `force`.
int run_pretrain(const ExperimentConfig& config, bool force);

// Writes the demo task's prompts as dataset files into demo_data.dir: train.jsonl and heldout_<k>hop.jsonl,
// each line {"prompt", "answer", "hops"}.
int run_data(const ExperimentConfig& config);

struct TrainOptions {
    bool resume = false;        // --resume: continue from a checkpoint of run_dir
    std::string resume_from;    // --resume DIR: from this checkpoint ("" = the newest complete one)
    bool resume_force = false;  // --resume-force: resume although keys off the may-change list differ
};

// GRPO from model.path on data.train; writes config.json, metrics.jsonl, samples.jsonl, eval.jsonl,
// eval_samples.jsonl, summary.json, chart.svg, checkpoints/ and the final checkpoint into config.run_dir.
// Resuming loads the checkpoint's weights, optimizer and data position into a trainer built on the base
// policy (the KL reference), drops log lines after its step and continues them.
int run_train(const ExperimentConfig& config, const TrainOptions& options = {});

struct EvalOptions {
    std::string config;                 // an experiment config (its model, template and data.eval), or ""
    std::vector<std::string> overrides;
    std::string model;                  // --model DIR (default: the config's model.path)
    std::vector<std::string> data;      // --data PRESET|FILE (default: the config's data.eval)
    int n = 0;                          // --n (0: the suite's, else 1)
    double temperature = -1;            // --temperature (< 0: the suite's)
    int max_new_tokens = 0, max_prompts = 0;
    std::string prompt_template, system_prompt, dtype, out;
    int threads = 0;
};

// Evaluates a checkpoint on suites; prints a table and the metrics as JSON lines; with `out`, writes
// eval.jsonl and eval_samples.jsonl there.
int run_eval(const EvalOptions& options);

}  // namespace aha::cli
