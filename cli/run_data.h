// The data side of a run, shared by `aha train` and `aha eval`: the policy and its text side from the model
// config, data sources rendered through the prompt template (prompts over max_prompt_tokens dropped and
// counted), evaluation suites, and the evaluation log (eval.jsonl, eval_samples.jsonl, a printed table).
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/experiment.h"
#include "core/files.h"
#include "datasets/prompt_render.h"
#include "rl/evaluate.h"
#include "tokenizer/model_text.h"

namespace aha::cli {

struct LoadedPolicy {
    policy::CausalLM model{nullptr};
    tokenizer::ModelText text;
    std::string text_dir;  // where the tokenizer files are (copied into saved checkpoints)
};

// model.path's checkpoint in `dtype`, or a fresh model of model's architecture (seeded by `seed`).
LoadedPolicy load_policy(const ModelSourceConfig& model, const std::string& dtype, int64_t seed);

struct RenderedSource {
    std::string name;
    std::vector<rl::PromptItem> items;
    int64_t rows = 0, dropped = 0;  // rows read; prompts longer than max_prompt_tokens
};

// Every row of the source through the renderer; logs "<name>: N prompts (M longer than ... dropped)".
RenderedSource render_source(const datasets::DataSourceConfig& source, const datasets::PromptRenderer& renderer,
                             const tokenizer::ModelText& text);

// The suites of data.eval, sampled with rl.sampling's settings except those the suite sets.
std::vector<rl::EvalSuite> make_suites(const std::vector<rl::EvalSuiteConfig>& configs, const datasets::PromptRenderer& renderer,
                                       const tokenizer::ModelText& text, const rollout::SamplingParams& training);

// Runs every suite at `step`, prints one table row per suite to `table`, and appends to eval.jsonl and
// eval_samples.jsonl in `dir` when it is not empty.
class EvalLog {
 public:
    explicit EvalLog(const std::string& dir, std::FILE* table = stdout);
    std::vector<rl::EvalResult> run(policy::CausalLM& model, const tokenizer::ModelText& text,
                                    const std::vector<rl::EvalSuite>& suites, const verifiers::RewardConfig& reward, int step);

 private:
    std::unique_ptr<LineAppender> metrics_, samples_;
    std::FILE* table_;
};

}  // namespace aha::cli
