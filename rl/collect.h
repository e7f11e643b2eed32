// The collect stage of an RL step: prompts from the source are sampled in groups on the rollout engine,
// decoded and scored; truncation, DAPO's overlong shaping and dynamic sampling happen here. Returns the
// groups kept for training and what the step sampled (for the reward metrics).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "rl/grpo_config.h"
#include "rl/seeds.h"
#include "rl/step_data.h"
#include "tokenizer/model_text.h"

namespace aha::rl {

// The configured named reward as a RewardFn.
RewardFn named_reward(const verifiers::RewardConfig& config);

// Samples G completions for each item on the engine (the G samples of an item are consecutive rows
// and share its prompt's KV blocks) and scores them on `reward_workers` threads. Item i is request i,
// seeded with rollout::request_seed(sampling.seed, i). Sets rewards, lengths and truncation; `shaped`
// equals the rewards (collect() adds the overlong penalty).
ScoredRollout sample_and_score(rollout::Engine& engine,
                               const tokenizer::ModelText& text,
                               const std::vector<PromptItem>& items,
                               int group_size,
                               const rollout::SamplingParams& sampling,
                               const RewardFn& reward,
                               int reward_workers = 1);

// Calls score(i) for i in [0, n) on up to `workers` threads; the first exception is rethrown after all
// threads stop.
void parallel_for(int64_t n, int workers, const std::function<void(int64_t)>& score);

struct Collected {
    ScoredRollout kept;  // the groups to train on, concatenated in sampling order; empty (size 0) when none
    int64_t kept_groups = 0, sampled_groups = 0;
    int rounds = 0;  // sampling rounds run
    // Every completion sampled in the step (all rounds), for the reward metrics.
    std::vector<verifiers::VerifierResult> sampled_results;
    torch::Tensor sampled_shaped, sampled_lengths;  // [all sampled]
    double seconds_rollout = 0, seconds_score = 0;  // summed over rounds
};

// The engine, the text side and the reward a step samples with.
struct CollectInputs {
    rollout::Engine& engine;
    const tokenizer::ModelText& text;
    const RewardFn& reward;
    int reward_workers = 1;
};

// Samples config.prompts_per_step prompts (and more rounds with dynamic sampling on) from `source`.
Collected collect(const CollectInputs& in, const PromptSource& source, const GrpoConfig& config, const StepSeeds& seeds);

// The reward, accuracy, format, length and group-outcome metrics of everything sampled.
void sample_metrics(const Collected& c, int group_size, StepMetrics& m);

// Pads the rows of several scored rollouts to common widths and stacks them.
ScoredRollout concat_scored(const std::vector<ScoredRollout>& parts, int64_t pad_id);

}  // namespace aha::rl
