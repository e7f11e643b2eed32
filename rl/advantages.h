// Group-relative advantage estimators, registered by name so an ablation is one config line. Every
// estimator takes the same input: rewards of consecutive groups of `group_size` completions of one prompt.
//   grpo     (Shao et al. 2024)  (r - mean_group) / (std_group + eps), std with Bessel's correction as TRL
//   dr_grpo  (Liu et al. 2025)   r - mean_group: no std normalisation, which biases towards easy/hard groups
//   rloo     (Ahmadian et al. 2024) r - mean of the other G-1 rewards of the group
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace aha::rl {

struct AdvantageInput {
    torch::Tensor rewards;    // [N] float, N = num_groups * group_size, each group contiguous
    int64_t group_size = 1;
    double eps = 1e-4;        // added to the std (grpo)
};

using AdvantageFn = torch::Tensor (*)(const AdvantageInput&);

struct AdvantageEstimator {
    const char* name;
    AdvantageFn fn;
};

const std::vector<AdvantageEstimator>& advantage_estimators();
std::vector<std::string> advantage_names();

// Advantages [N] by estimator name; ConfigError listing the valid names for an unknown one.
torch::Tensor compute_advantages(const std::string& name, const AdvantageInput& input);

}  // namespace aha::rl
