// Group-relative advantage estimators; see advantages.h.
#include "rl/advantages.h"

#include "core/catalogue.h"
#include "core/error.h"
#include "core/strings.h"

namespace aha::rl {

namespace {

torch::Tensor grouped(const AdvantageInput& in) {
    TORCH_CHECK(in.rewards.dim() == 1, "rewards must be [N]");
    TORCH_CHECK(in.group_size >= 1 && in.rewards.size(0) % in.group_size == 0,
                "rewards (", in.rewards.size(0), ") must hold whole groups of ", in.group_size);
    // float32, or float64 for float64 rewards (the reference-parity test).
    auto dtype = in.rewards.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    return in.rewards.to(dtype).view({-1, in.group_size});  // [num_groups, G]
}

// The std that grpo and passk divide by, [num_groups, 1] or a scalar; undefined for RewardScale::kNone.
torch::Tensor reward_std(const torch::Tensor& r, const AdvantageInput& in) {
    switch (in.scale) {
        case RewardScale::kNone:
            return torch::Tensor();
        case RewardScale::kBatch:
            return r.numel() > 1 ? r.std(/*unbiased=*/true) : torch::zeros({}, r.options());
        case RewardScale::kGroup:
            break;
    }
    // A group of one has no spread: its std is taken as 0, not NaN.
    return in.group_size > 1 ? r.std(1, /*unbiased=*/true, /*keepdim=*/true) : torch::zeros({r.size(0), 1}, r.options());
}

torch::Tensor grpo(const AdvantageInput& in) {
    auto r = grouped(in);
    auto centred = r - r.mean(1, /*keepdim=*/true);  // [num_groups, G]
    auto std = reward_std(r, in);
    return (std.defined() ? centred / (std + in.eps) : centred).view(-1);
}

torch::Tensor passk(const AdvantageInput& in) {
    auto r = grouped(in);  // [num_groups, G]
    auto a = torch::zeros_like(r);
    if (in.group_size < 2) return a.view(-1);
    auto top = std::get<0>(r.topk(2, 1));   // [num_groups, 2]
    auto best = std::get<1>(r.max(1, true));  // [num_groups, 1]: the first best completion
    auto gap = top.select(1, 0) - top.select(1, 1);  // [num_groups]
    auto std = reward_std(r, in);
    if (std.defined()) gap = gap / (std.view(-1) + in.eps);
    return a.scatter_(1, best, gap.unsqueeze(1)).view(-1);
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

// Whitens per-row values x [N] as verl's masked_whiten does over the completion tokens, where row i
// contributes lengths[i] tokens of value x[i]: token-weighted mean, Bessel-corrected variance over
// tokens, (x - mean) / sqrt(var + 1e-8).
torch::Tensor whiten_over_tokens(const torch::Tensor& x, const torch::Tensor& lengths) {
    auto w = lengths.defined() ? lengths.to(torch::kFloat64) : torch::ones(x.sizes(), torch::kFloat64);
    TORCH_CHECK(w.sizes() == x.sizes(), "lengths must be [N] like rewards");
    auto xd = x.to(torch::kFloat64);
    const double tokens = w.sum().item<double>();
    if (tokens <= 0) return torch::zeros_like(x);
    auto mean = (w * xd).sum() / tokens;
    auto var = tokens > 1 ? (w * (xd - mean).pow(2)).sum() / (tokens - 1) : torch::zeros({}, torch::kFloat64);
    return ((xd - mean) * torch::rsqrt(var + 1e-8)).to(x.scalar_type());
}

torch::Tensor reinforce_pp(const AdvantageInput& in) {
    return whiten_over_tokens(grouped(in).view(-1), in.lengths);
}

torch::Tensor reinforce_pp_baseline(const AdvantageInput& in) {
    return whiten_over_tokens(dr_grpo(in), in.lengths);
}

}  // namespace

RewardScale parse_reward_scale(const std::string& name, const std::string& path) {
    if (name == "group") return RewardScale::kGroup;
    if (name == "batch") return RewardScale::kBatch;
    if (name == "none") return RewardScale::kNone;
    throw ConfigError(path + ": unknown '" + name + "'; valid names: group, batch, none");
}

std::string reward_scale_name(RewardScale scale) {
    switch (scale) {
        case RewardScale::kGroup:
            return "group";
        case RewardScale::kBatch:
            return "batch";
        case RewardScale::kNone:
            return "none";
    }
    return "group";
}

const std::vector<AdvantageEstimator>& advantage_estimators() {
    static const std::vector<AdvantageEstimator> kEstimators = {
        {"grpo", grpo, true, true},
        {"dr_grpo", dr_grpo, true, true},
        {"rloo", rloo, true, true},
        {"reinforce_pp", reinforce_pp, false, false},
        {"reinforce_pp_baseline", reinforce_pp_baseline, false, false},
        {"passk", passk, true, false},
    };
    return kEstimators;
}

std::vector<std::string> advantage_names() { return catalogue_names(advantage_estimators()); }

torch::Tensor compute_advantages(const std::string& name, const AdvantageInput& input) {
    return catalogue_entry(advantage_estimators(), name, "advantage estimator").fn(input);
}

}  // namespace aha::rl
