// The `aha` subcommands of the tiny R1-Zero experiment: pretrain a base model, train it with GRPO, evaluate.
#pragma once

#include <string>

#include "cli/experiment.h"

namespace aha::cli {

// Pretrains the base model into config.base_checkpoint; skipped when a checkpoint made from the same
// settings is already there, unless `force`.
int run_pretrain(const ExperimentConfig& config, bool force);

// GRPO from the base checkpoint; writes config.json, metrics.jsonl, summary.json, chart.svg and the final
// checkpoint into config.run_dir, and prints a table and a before/after comparison.
int run_train(const ExperimentConfig& config);

// Evaluates a checkpoint (default: the base) on the held-out cells and prints the numbers as JSON.
int run_eval(const ExperimentConfig& config, const std::string& checkpoint);

}  // namespace aha::cli
