// Advantage estimators, registered by name so an ablation is one config line. Every estimator takes
// the same input: rewards of consecutive groups of `group_size` completions of one prompt, plus the
// options some of them read.
//   grpo         (Shao et al. 2024)  (r - group mean) / (std + eps); the std (Bessel-corrected, as
//                TRL and verl compute it) of the group, of the whole batch, or none (TRL's
//                scale_rewards = group / batch / none)
//   dr_grpo      (Liu et al. 2025)   r - group mean: no std normalisation, which biases towards
//                easy/hard groups
//   rloo         (Ahmadian et al. 2024) r - mean of the other G-1 rewards of the group
//   reinforce_pp (Hu 2025, REINFORCE++) the outcome reward as every token's return, whitened over all
//                completion tokens of the batch: (r - mean) / sqrt(var + 1e-8), token-weighted mean,
//                Bessel-corrected variance (verl's masked_whiten)
//   reinforce_pp_baseline  the same after subtracting the group mean (verl's
//                reinforce_plus_plus_baseline)
//   passk        (Tang et al. 2025, arXiv 2503.19595; verl's grpo_passk) pass@k-aware: only the best
//                completion of a group gets an advantage, r_max - r_second_max, divided by the group's
//                std + eps when scale_rewards is group (the batch's std for batch; none: no division)
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace aha::rl {

// grpo's std: of each group, of the whole batch, or no division.
enum class RewardScale { kGroup, kBatch, kNone };
RewardScale parse_reward_scale(const std::string& name, const std::string& path);
std::string reward_scale_name(RewardScale scale);

struct AdvantageInput {
    torch::Tensor rewards;  // [N] float, N = num_groups * group_size, each group contiguous
    int64_t group_size = 1;
    double eps = 1e-4;      // grpo: added to the std (TRL's default; verl uses 1e-6)
    RewardScale scale = RewardScale::kGroup;  // grpo
    // [N] completion tokens of each row: reinforce_pp* whiten over tokens, so longer completions
    // weigh more. Undefined: one token each.
    torch::Tensor lengths;
};

using AdvantageFn = torch::Tensor (*)(const AdvantageInput&);

struct AdvantageEstimator {
    const char* name;
    AdvantageFn fn;
    // Group-relative: a group whose rewards are all equal gets zero advantages.
    bool group_relative;
    // Each group's advantages sum to zero.
    bool zero_sum;
};

const std::vector<AdvantageEstimator>& advantage_estimators();
std::vector<std::string> advantage_names();

// Advantages [N] (float32; float64 for float64 rewards) by estimator name; ConfigError listing the
// valid names for an unknown one.
torch::Tensor compute_advantages(const std::string& name, const AdvantageInput& input);

}  // namespace aha::rl
