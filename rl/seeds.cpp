// The step's random streams; see seeds.h.
#include "rl/seeds.h"

#include "rollout/sampler.h"

namespace aha::rl {

StepSeeds StepSeeds::of(int64_t sampling_seed, int step) {
    StepSeeds s;
    s.sampling = sampling_seed * 1000003 + step;
    s.reward_shuffle = static_cast<uint64_t>(step) * 7919 + 3;
    s.minibatch_order = static_cast<uint64_t>(step) + 17;
    return s;
}

int64_t StepSeeds::sampling_round(int round) const {
    return round == 0 ? sampling : rollout::request_seed(sampling, -round);
}

}  // namespace aha::rl
