// Periodic checkpoints of an RL run: run_dir/checkpoints/step_NNNNNN/, each a Hugging Face directory that
// transformers loads (config.json, the weights in the run's dtype, the tokenizer files) plus the trainer
// state: trainer_state.pt (Learner::save_state: optimizer moments and step counts, fp32 masters) and
// trainer_state.json (the step, the data stream's position, the resolved config and its hash). Each is
// written into a temporary directory beside the others, synced to disk, then renamed into place, so a kill
// at any moment leaves every earlier checkpoint complete; only the newest `keep` are kept.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "rl/learner.h"

namespace aha::cli {

// "step_000200".
std::string checkpoint_name(int step);

// The complete checkpoints of run_dir (names step_NNNNNN), oldest first.
std::vector<std::string> run_checkpoints(const std::string& run_dir);

// Writes the checkpoint of `step` and removes all but the newest `keep`; `state` is trainer_state.json's
// content (the caller's: data position, config hash), to which the step is added. Returns its directory.
std::string write_run_checkpoint(const std::string& run_dir, int step, policy::CausalLM& model, const std::string& text_dir,
                                 const rl::Learner& learner, Json state, int keep);

// Removes run_dir's checkpoints after `step` (a run resumed from `step` abandons what came after it, as
// its logs do) and returns their names.
std::vector<std::string> remove_checkpoints_after(const std::string& run_dir, int step);

// trainer_state.json of the checkpoint in `dir`, checked for the fields a resume needs (format, step,
// stream, config, config_hash: the config must hash to config_hash); FormatError/IoError naming the file.
Json read_checkpoint_state(const std::string& dir);

// Loads the checkpoint in `dir` into a live run: its weights into `model` in place (the engine and the
// reference keep their tensors) and trainer_state.pt into `learner`. Errors name the file.
void load_run_checkpoint(const std::string& dir, policy::CausalLM& model, rl::Learner& learner);

// Keeps the lines of a JSON-lines log whose "step" is at most `step` (a resumed run continues its logs
// without duplicates); lines that do not parse (the tail of a killed write) are dropped too. Returns how
// many lines were dropped; nothing to do when the file is absent.
int truncate_log(const std::string& path, int step);

// A stable 64-bit FNV-1a hash of `text`, as 16 hex digits (the resolved config's fingerprint).
std::string text_hash(const std::string& text);

}  // namespace aha::cli
