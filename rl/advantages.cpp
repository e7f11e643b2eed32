// Group-relative advantage estimators; see advantages.h.
#include "rl/advantages.h"

#include "core/error.h"
#include "core/strings.h"

namespace aha::rl {

namespace {

torch::Tensor grouped(const AdvantageInput& in) {
    TORCH_CHECK(in.rewards.dim() == 1, "rewards must be [N]");
    TORCH_CHECK(in.group_size >= 1 && in.rewards.size(0) % in.group_size == 0,
                "rewards (", in.rewards.size(0), ") must hold whole groups of ", in.group_size);
    return in.rewards.to(torch::kFloat32).view({-1, in.group_size});  // [num_groups, G]
}

torch::Tensor grpo(const AdvantageInput& in) {
    auto r = grouped(in);
    auto mean = r.mean(1, /*keepdim=*/true);
    // A group of one has no spread: its std is taken as 0 (advantage 0), not NaN.
    auto std = in.group_size > 1 ? r.std(1, /*unbiased=*/true, /*keepdim=*/true) : torch::zeros_like(mean);
    return ((r - mean) / (std + in.eps)).view(-1);
}

torch::Tensor dr_grpo(const AdvantageInput& in) {
    auto r = grouped(in);
    return (r - r.mean(1, /*keepdim=*/true)).view(-1);
}

torch::Tensor rloo(const AdvantageInput& in) {
    auto r = grouped(in);
    const int64_t g = in.group_size;
    if (g == 1) return torch::zeros_like(r).view(-1);
    auto others_mean = (r.sum(1, /*keepdim=*/true) - r) / static_cast<double>(g - 1);
    return (r - others_mean).view(-1);
}

}  // namespace

const std::vector<AdvantageEstimator>& advantage_estimators() {
    static const std::vector<AdvantageEstimator> kEstimators = {
        {"grpo", grpo},
        {"dr_grpo", dr_grpo},
        {"rloo", rloo},
    };
    return kEstimators;
}

std::vector<std::string> advantage_names() {
    std::vector<std::string> names;
    for (const auto& e : advantage_estimators()) names.emplace_back(e.name);
    return names;
}

torch::Tensor compute_advantages(const std::string& name, const AdvantageInput& input) {
    for (const auto& e : advantage_estimators()) {
        if (name == e.name) return e.fn(input);
    }
    throw ConfigError("advantage estimator '" + name + "': unknown; valid names: " + join(advantage_names()));
}

}  // namespace aha::rl
