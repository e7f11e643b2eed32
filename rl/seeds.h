// Every random stream of an RL step, derived in one place from the run's sampling seed and the step
// number: a step can be replayed exactly (resume), and no two streams share a seed by accident.
#pragma once

#include <cstdint>

namespace aha::rl {

struct StepSeeds {
    int64_t sampling = 0;          // round 0 of the rollout; request i uses request_seed(round seed, i)
    uint64_t reward_shuffle = 0;   // the random-reward control's permutation (rl.shuffle_rewards)
    uint64_t minibatch_order = 0;  // the rows' order across mini-batches, drawn once per epoch

    // The sampler seed of dynamic-sampling round `round` (0 = the first): fresh draws every round.
    int64_t sampling_round(int round) const;

    static StepSeeds of(int64_t sampling_seed, int step);
};

}  // namespace aha::rl
