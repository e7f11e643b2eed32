// Evaluation of a policy on a fixed prompt set: accuracy, format rate and completion lengths (overall, and
// for correct vs wrong completions, since length growth alone proves nothing).
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "rl/collect.h"
#include "rl/grpo_config.h"

namespace aha::rl {

struct EvalResult {
    int count = 0;
    double accuracy = 0, format_rate = 0;
    double mean_length = 0, mean_length_correct = 0, mean_length_wrong = 0;  // tokens
    std::vector<std::string> completions;  // one per item, in order
    std::vector<bool> correct;

    Json to_json() const;  // the numbers, not the completions
};

// One completion per item with `sampling` (temperature 0 = greedy), in batches of `batch_size`.
EvalResult evaluate(policy::CausalLM& model,
                    const tokenizer::ModelText& text,
                    const std::vector<PromptItem>& items,
                    const rollout::SamplingParams& sampling,
                    const verifiers::RewardConfig& reward,
                    int batch_size = 256);

}  // namespace aha::rl
