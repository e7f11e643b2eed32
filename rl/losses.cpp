// Policy losses and aggregations; see losses.h.
#include "rl/losses.h"

#include <algorithm>

#include "core/catalogue.h"
#include "core/error.h"
#include "core/strings.h"

namespace aha::rl {

TisConfig TisConfig::from_json(ConfigReader r) {
    TisConfig c;
    r.read("mode", c.mode).read("min", c.min).read("max", c.max);
    r.finish();
    return c;
}

Json TisConfig::to_json() const { return {{"mode", mode}, {"min", min}, {"max", max}}; }

void TisConfig::validate(const std::string& path) const {
    config_require_one_of(mode, tis_mode_names(), path + ".mode");
    config_require(min >= 0, path + ".min", "expected >= 0 (0 = no lower bound)");
    config_require(max > min && max > 0, path + ".max", "expected > 0 and > min");
}

PolicyLossConfig PolicyLossConfig::from_json(ConfigReader r) {
    PolicyLossConfig c;
    r.read("name", c.name)
        .read("clip_low", c.clip_low)
        .read("clip_high", c.clip_high)
        .read("aggregation", c.aggregation)
        .read("kl_coef", c.kl_coef)
        .read("kl_estimator", c.kl_estimator)
        .read("kl_in_reward", c.kl_in_reward)
        .read("clip_ratio_c", c.clip_ratio_c)
        .read("entropy_coef", c.entropy_coef)
        .read("entropy_aggregation", c.entropy_aggregation);
    c.tis = TisConfig::from_json(r.child("tis"));
    r.finish();
    return c;
}

Json PolicyLossConfig::to_json() const {
    return {{"name", name},
            {"clip_low", clip_low},
            {"clip_high", clip_high},
            {"aggregation", aggregation},
            {"kl_coef", kl_coef},
            {"kl_estimator", kl_estimator},
            {"kl_in_reward", kl_in_reward},
            {"clip_ratio_c", clip_ratio_c},
            {"entropy_coef", entropy_coef},
            {"entropy_aggregation", entropy_aggregation},
            {"tis", tis.to_json()}};
}

void PolicyLossConfig::validate(const std::string& path) const {
    config_require_one_of(name, policy_loss_names(), path + ".name");
    config_require_one_of(aggregation, aggregation_names(), path + ".aggregation");
    // clip_low = 1 leaves the ratio no lower bound (cispo as TRL runs it).
    config_require(clip_low > 0 && clip_low <= 1, path + ".clip_low", "expected in (0, 1]");
    config_require(clip_high > 0, path + ".clip_high", "expected > 0");
    config_require(kl_coef >= 0, path + ".kl_coef", "expected >= 0 (0 = off)");
    config_require_one_of(kl_estimator, kl_estimator_names(), path + ".kl_estimator");
    config_require(clip_ratio_c == 0 || clip_ratio_c > 1, path + ".clip_ratio_c", "expected 0 (off) or > 1");
    config_require(entropy_coef >= 0, path + ".entropy_coef", "expected >= 0 (0 = off)");
    if (entropy_aggregation != "loss") {
        std::vector<std::string> valid = aggregation_names();
        valid.insert(valid.begin(), "loss");
        config_require_one_of(entropy_aggregation, valid, path + ".entropy_aggregation");
    }
    tis.validate(path + ".tis");
}

LossNormalizer LossNormalizer::of(const torch::Tensor& mask, double max_length) {
    LossNormalizer n;
    n.total_tokens = std::max(1.0, mask.sum().item<double>());
    n.total_sequences = std::max<double>(1.0, static_cast<double>(mask.size(0)));
    n.max_length = std::max(1.0, max_length);
    return n;
}

namespace {

using torch::Tensor;

// Rollout-correction modes: whether the ratio is per token or per sequence, and what happens outside
// [min, max] (clamped, or the token masked to weight 0). "off" has no weights.
struct TisMode {
    const char* name;
    bool sequence, mask;
};
const std::vector<TisMode>& tis_modes() {
    static const std::vector<TisMode> t = {{"off", false, false},
                                           {"token_truncate", false, false},
                                           {"token_mask", false, true},
                                           {"sequence_truncate", true, false},
                                           {"sequence_mask", true, true}};
    return t;
}

// Loss aggregations over the masked per-token terms ([N, C]; zero where masked) with mask m.
struct Aggregation {
    const char* name;
    Tensor (*apply)(const Tensor& masked, const Tensor& m, const LossNormalizer& norm);
};
const std::vector<Aggregation>& aggregations() {
    static const std::vector<Aggregation> t = {
        {"token_mean", [](const Tensor& masked, const Tensor&, const LossNormalizer& n) { return masked.sum() / n.total_tokens; }},
        {"seq_mean_token_mean",
         [](const Tensor& masked, const Tensor& m, const LossNormalizer& n) {
             auto lengths = m.sum(1).clamp_min(1.0);  // [N]
             return (masked.sum(1) / lengths).sum() / n.total_sequences;
         }},
        {"seq_mean_token_sum", [](const Tensor& masked, const Tensor&, const LossNormalizer& n) { return masked.sum() / n.total_sequences; }},
        {"seq_mean_token_sum_norm",
         [](const Tensor& masked, const Tensor&, const LossNormalizer& n) { return masked.sum() / (n.total_sequences * n.max_length); }},
    };
    return t;
}

// KL estimators of Schulman (2020) from d = log pi_ref - log pi.
struct KlEstimator {
    const char* name;
    Tensor (*apply)(const Tensor& logprobs, const Tensor& ref_logprobs);
};
const std::vector<KlEstimator>& kl_estimators() {
    static const std::vector<KlEstimator> t = {
        {"k1", [](const Tensor& lp, const Tensor& ref) { return -(ref - lp); }},
        {"k2", [](const Tensor& lp, const Tensor& ref) {
             auto d = ref - lp;
             return 0.5 * d * d;
         }},
        {"k3", [](const Tensor& lp, const Tensor& ref) { return k3_kl(lp, ref); }},
    };
    return t;
}

}  // namespace

std::vector<std::string> aggregation_names() { return catalogue_names(aggregations()); }

std::vector<std::string> kl_estimator_names() { return catalogue_names(kl_estimators()); }

std::vector<std::string> tis_mode_names() { return catalogue_names(tis_modes()); }

torch::Tensor rollout_is_weights(const TisConfig& c,
                                 const torch::Tensor& old_logprobs,
                                 const torch::Tensor& rollout_logprobs,
                                 const torch::Tensor& mask) {
    const TisMode& mode = catalogue_entry(tis_modes(), c.mode, "tis mode");
    if (c.mode == "off") throw ConfigError("tis mode 'off': no weights");
    torch::NoGradGuard no_grad;
    auto m = mask.to(torch::kBool);
    auto diff = torch::where(m, old_logprobs.detach() - rollout_logprobs.detach(), torch::zeros_like(old_logprobs));
    auto ratio = torch::exp(mode.sequence ? diff.sum(1, true) : diff);  // [N, C] or [N, 1]
    torch::Tensor w = mode.mask ? torch::where((ratio < c.min) | (ratio > c.max), torch::zeros_like(ratio), ratio)
                                : ratio.clamp(c.min, c.max);
    return w.expand_as(old_logprobs).contiguous();
}

torch::Tensor aggregate(const std::string& aggregation,
                        const torch::Tensor& per_token,
                        const torch::Tensor& mask,
                        const LossNormalizer& norm) {
    const Aggregation& a = catalogue_entry(aggregations(), aggregation, "loss aggregation");
    auto m = mask.to(per_token.scalar_type());
    // Masked tokens contribute exactly zero and no gradient (where, not a product, so a non-finite value
    // at a padding position cannot leak in).
    auto masked = torch::where(mask.to(torch::kBool), per_token, torch::zeros_like(per_token));
    return a.apply(masked, m, norm);
}

torch::Tensor k3_kl(const torch::Tensor& logprobs, const torch::Tensor& ref_logprobs) {
    auto d = ref_logprobs - logprobs;
    return torch::exp(d) - d - 1.0;
}

torch::Tensor kl_estimate(const std::string& estimator,
                          const torch::Tensor& logprobs,
                          const torch::Tensor& ref_logprobs) {
    return catalogue_entry(kl_estimators(), estimator, "KL estimator").apply(logprobs, ref_logprobs);
}

torch::Tensor kl_reward_penalty(const PolicyLossConfig& c,
                                const torch::Tensor& logprobs,
                                const torch::Tensor& ref_logprobs,
                                const torch::Tensor& mask) {
    auto kl = kl_estimate(c.kl_estimator, logprobs.to(torch::kFloat32), ref_logprobs.to(torch::kFloat32));
    return c.kl_coef * torch::where(mask.to(torch::kBool), kl, torch::zeros_like(kl)).sum(1);  // [N]
}

namespace {

// The sequence-level ratio of GSPO, per token: log s_t = sg(mean over the sequence of log ratio) +
// logp_t - sg(logp_t), so its value is the sequence's geometric-mean ratio and its gradient flows
// through each token's log-prob.
torch::Tensor gspo_ratio(const PolicyLossInput& in) {
    auto m = in.mask.to(in.logprobs.scalar_type());
    auto log_ratio = (in.logprobs - in.old_logprobs) * m;                            // [N, C]
    auto seq = (log_ratio.sum(1, true) / m.sum(1, true).clamp_min(1.0)).detach();    // [N, 1]
    return torch::exp((seq + in.logprobs - in.logprobs.detach()).clamp_max(10.0));  // [N, C]
}

// How clipped tokens are counted: the surrogate's max picked the clipped term (the advantage's sign says
// which end binds), any ratio outside the range (an IS weight that was cut), or never.
enum class ClipCount { kSurrogate, kWeight, kNone };

// Policy losses: the per-token term from the ratio, its clipped value and the advantage ([N, 1]).
struct PolicyLoss {
    const char* name;
    bool sequence_ratio;  // GSPO's geometric-mean ratio instead of the token's
    Tensor (*per_token)(const PolicyLossConfig& c, const PolicyLossInput& in, const Tensor& ratio, const Tensor& clipped,
                        const Tensor& adv);
    ClipCount clip;
};

Tensor clipped_surrogate(const Tensor& ratio, const Tensor& clipped, const Tensor& adv) {
    return torch::max(-ratio * adv, -clipped * adv);
}

const std::vector<PolicyLoss>& policy_losses() {
    static const std::vector<PolicyLoss> t = {
        {"ppo_clip", false,
         [](const PolicyLossConfig& c, const PolicyLossInput&, const Tensor& ratio, const Tensor& clipped, const Tensor& adv) {
             auto per_token = clipped_surrogate(ratio, clipped, adv);
             // Dual clip (Ye et al. 2020): negative advantages bounded by clip_ratio_c.
             return c.clip_ratio_c > 0 ? torch::where(adv < 0, torch::min(per_token, -adv * c.clip_ratio_c), per_token) : per_token;
         },
         ClipCount::kSurrogate},
        {"gspo", true,
         [](const PolicyLossConfig&, const PolicyLossInput&, const Tensor& ratio, const Tensor& clipped, const Tensor& adv) {
             return clipped_surrogate(ratio, clipped, adv);
         },
         ClipCount::kSurrogate},
        {"cispo", false,
         [](const PolicyLossConfig&, const PolicyLossInput& in, const Tensor&, const Tensor& clipped, const Tensor& adv) {
             return -clipped.detach() * adv * in.logprobs;
         },
         ClipCount::kWeight},
        {"reinforce", false,
         [](const PolicyLossConfig&, const PolicyLossInput& in, const Tensor&, const Tensor&, const Tensor& adv) {
             return -adv * in.logprobs;
         },
         ClipCount::kNone},
    };
    return t;
}

}  // namespace

std::vector<std::string> policy_loss_names() { return catalogue_names(policy_losses()); }

PolicyLossOutput policy_loss(const PolicyLossConfig& c, const PolicyLossInput& in, const LossNormalizer& norm) {
    TORCH_CHECK(in.logprobs.sizes() == in.old_logprobs.sizes() && in.logprobs.sizes() == in.mask.sizes(),
                "logprobs, old_logprobs and mask must all be [N, C]");
    TORCH_CHECK(in.advantages.dim() == 1 && in.advantages.size(0) == in.logprobs.size(0), "advantages must be [N]");
    const PolicyLoss& loss = catalogue_entry(policy_losses(), c.name, "policy loss");
    auto adv = in.advantages.unsqueeze(1).to(in.logprobs.scalar_type());     // [N, 1]
    auto ratio = loss.sequence_ratio ? gspo_ratio(in) : torch::exp(in.logprobs - in.old_logprobs);  // [N, C]
    auto clipped = ratio.clamp(1.0 - c.clip_low, 1.0 + c.clip_high);          // [N, C]
    torch::Tensor per_token = loss.per_token(c, in, ratio, clipped, adv);     // [N, C]

    PolicyLossOutput out;
    torch::Tensor kl;  // [N, C] when a reference is given: once, for the loss and the metric
    if (in.ref_logprobs.defined()) kl = kl_estimate(c.kl_estimator, in.logprobs, in.ref_logprobs);
    if (in.is_weights.defined()) per_token = per_token * in.is_weights.to(per_token.scalar_type());
    if (c.kl_coef > 0 && !c.kl_in_reward) {
        TORCH_CHECK(kl.defined(), "kl_coef > 0 needs reference log-probs");
        per_token = per_token + c.kl_coef * kl;
    }
    out.loss = aggregate(c.aggregation, per_token, in.mask, norm);
    if (c.entropy_coef > 0) {
        TORCH_CHECK(in.entropy.defined(), "entropy_coef > 0 needs per-token entropies");
        const std::string& how = c.entropy_aggregation == "loss" ? c.aggregation : c.entropy_aggregation;
        out.loss = out.loss - c.entropy_coef * aggregate(how, in.entropy.to(per_token.scalar_type()), in.mask, norm);
    }

    torch::NoGradGuard no_grad;
    auto m = in.mask.to(torch::kBool);
    // A token counts as clipped when its ratio lies outside the clip range and the clip binds: the
    // surrogate's max picked the clipped term (ppo_clip, gspo: the advantage's sign says which end), or
    // the IS weight was cut (cispo). reinforce never clips.
    auto low = ratio < 1.0 - c.clip_low, high = ratio > 1.0 + c.clip_high;
    if (loss.clip == ClipCount::kSurrogate) {
        low = low & (adv < 0);
        high = high & (adv > 0);
    }
    if (loss.clip != ClipCount::kNone) {
        out.clipped_low = (low & m).sum().item<double>();
        out.clipped_high = (high & m).sum().item<double>();
    }
    out.clipped_tokens = out.clipped_low + out.clipped_high;
    auto masked_sum = [&](const torch::Tensor& t) { return torch::where(m, t, torch::zeros_like(t)).sum().item<double>(); };
    if (kl.defined()) out.kl_sum = masked_sum(kl);
    if (in.entropy.defined()) out.entropy_sum = masked_sum(in.entropy.detach());
    auto log_ratio = in.logprobs.detach() - in.old_logprobs;
    out.approx_kl_sum = masked_sum(torch::exp(log_ratio) - 1.0 - log_ratio);
    return out;
}

}  // namespace aha::rl
