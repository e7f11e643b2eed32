// Evaluation suites: n samples per prompt on the rollout engine (the n samples share the prompt's KV
// blocks), graded by each prompt's reward, summarised as mean@n accuracy, pass@k (Chen et al. 2021) and maj@k
// for every k up to n, lengths (overall, and for correct vs wrong completions, since length growth alone
// proves nothing) and the truncation rate, with one record per sample.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "datasets/data_source.h"
#include "rl/collect.h"
#include "rl/grpo_config.h"
#include "verifiers/sample_metrics.h"

namespace aha::rl {

// One suite of data.eval: a data source plus how to sample it.
struct EvalSuiteConfig {
    datasets::DataSourceConfig data;  // name, path or preset, keys, reward, rows (weight is unused)
    int n = 1;                        // samples per prompt
    double temperature = 0.0;         // 0 = greedy (then n must be 1)
    double top_p = 1.0;
    int max_new_tokens = 0;           // 0 = rl.sampling.max_new_tokens
    int max_prompts = 0;              // a fixed seeded subset of this many prompts when larger; 0 = all

    static EvalSuiteConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct EvalSuite {
    std::string name;
    std::vector<PromptItem> items;
    int n = 1;
    rollout::SamplingParams sampling;  // seed fixed: the same samples at every evaluation of the same weights
};

struct EvalSample {
    int prompt = 0, sample = 0;  // indices into the suite's items and the prompt's n samples
    std::string completion;
    std::string extracted;       // the answer the verifier read ("" when none)
    verifiers::Verdict verdict = verifiers::Verdict::kMalformed;
    double reward = 0;
    int length = 0;              // generated tokens
    bool truncated = false;      // no end token within max_new_tokens
    bool format_ok = false;      // the think/answer format
};

struct EvalResult {
    std::string name;
    int prompts = 0, n = 0;
    double accuracy = 0;         // mean@n: the share of correct samples
    double format_rate = 0, mean_length = 0, mean_length_correct = 0, mean_length_wrong = 0, truncated_rate = 0;
    std::vector<double> pass_at, maj_at;  // [k - 1] for k = 1..n, means over prompts
    std::vector<EvalSample> samples;      // prompt-major: prompt i's samples are i*n .. i*n+n-1

    // The metrics (no samples): {"suite", "prompts", "n", "accuracy", "pass@1", ..., "maj@n", ...}.
    Json to_json() const;
    // Whether the first sample of prompt i is correct.
    bool first_correct(int i) const { return samples[static_cast<size_t>(i * n)].verdict == verifiers::Verdict::kCorrect; }
};

// How maj@k groups answers of a reward: math equivalence for the math rewards, the same text otherwise.
verifiers::AnswerEquivalence answer_equivalence(const verifiers::RewardConfig& reward, const std::string& name);

// Samples and grades the suite. At most `max_rows` sequences are in flight at once.
EvalResult evaluate(policy::CausalLM& model,
                    const tokenizer::ModelText& text,
                    const EvalSuite& suite,
                    const verifiers::RewardConfig& reward,
                    int max_rows = 256);

}  // namespace aha::rl
