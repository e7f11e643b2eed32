// Policy losses and aggregations; see losses.h.
#include "rl/losses.h"

#include <algorithm>

#include "core/strings.h"

namespace aha::rl {

PolicyLossConfig PolicyLossConfig::from_json(ConfigReader r) {
    PolicyLossConfig c;
    r.read("name", c.name)
        .read("clip_low", c.clip_low)
        .read("clip_high", c.clip_high)
        .read("aggregation", c.aggregation)
        .read("kl_coef", c.kl_coef);
    r.finish();
    return c;
}

Json PolicyLossConfig::to_json() const {
    return {{"name", name}, {"clip_low", clip_low}, {"clip_high", clip_high}, {"aggregation", aggregation}, {"kl_coef", kl_coef}};
}

void PolicyLossConfig::validate(const std::string& path) const {
    config_require_one_of(name, policy_loss_names(), path + ".name");
    config_require_one_of(aggregation, aggregation_names(), path + ".aggregation");
    config_require(clip_low > 0 && clip_low < 1, path + ".clip_low", "expected in (0, 1)");
    config_require(clip_high > 0, path + ".clip_high", "expected > 0");
    config_require(kl_coef >= 0, path + ".kl_coef", "expected >= 0 (0 = off)");
}

LossNormalizer LossNormalizer::of(const torch::Tensor& mask, double max_length) {
    LossNormalizer n;
    n.total_tokens = std::max(1.0, mask.sum().item<double>());
    n.total_sequences = std::max<double>(1.0, static_cast<double>(mask.size(0)));
    n.max_length = std::max(1.0, max_length);
    return n;
}

std::vector<std::string> policy_loss_names() { return {"ppo_clip"}; }

std::vector<std::string> aggregation_names() {
    return {"token_mean", "seq_mean_token_mean", "seq_mean_token_sum_norm"};
}

torch::Tensor aggregate(const std::string& aggregation,
                        const torch::Tensor& per_token,
                        const torch::Tensor& mask,
                        const LossNormalizer& norm) {
    auto m = mask.to(per_token.scalar_type());
    // Masked tokens contribute exactly zero and no gradient (where, not a product, so a non-finite value
    // at a padding position cannot leak in).
    auto masked = torch::where(mask.to(torch::kBool), per_token, torch::zeros_like(per_token));
    if (aggregation == "token_mean") return masked.sum() / norm.total_tokens;
    if (aggregation == "seq_mean_token_mean") {
        auto lengths = m.sum(1).clamp_min(1.0);  // [N]
        return (masked.sum(1) / lengths).sum() / norm.total_sequences;
    }
    if (aggregation == "seq_mean_token_sum_norm") return masked.sum() / (norm.total_sequences * norm.max_length);
    throw ConfigError("loss aggregation '" + aggregation + "': unknown; valid names: " + join(aggregation_names()));
}

torch::Tensor k3_kl(const torch::Tensor& logprobs, const torch::Tensor& ref_logprobs) {
    auto d = ref_logprobs - logprobs;
    return torch::exp(d) - d - 1.0;
}

PolicyLossOutput policy_loss(const PolicyLossConfig& c, const PolicyLossInput& in, const LossNormalizer& norm) {
    TORCH_CHECK(in.logprobs.sizes() == in.old_logprobs.sizes() && in.logprobs.sizes() == in.mask.sizes(),
                "logprobs, old_logprobs and mask must all be [N, C]");
    TORCH_CHECK(in.advantages.dim() == 1 && in.advantages.size(0) == in.logprobs.size(0), "advantages must be [N]");
    auto adv = in.advantages.unsqueeze(1);                                    // [N, 1]
    auto ratio = torch::exp(in.logprobs - in.old_logprobs);                  // [N, C]
    auto clipped = ratio.clamp(1.0 - c.clip_low, 1.0 + c.clip_high);          // [N, C]
    auto per_token = -torch::min(ratio * adv, clipped * adv);                 // [N, C]

    PolicyLossOutput out;
    if (c.kl_coef > 0) {
        TORCH_CHECK(in.ref_logprobs.defined(), "kl_coef > 0 needs reference log-probs");
        per_token = per_token + c.kl_coef * k3_kl(in.logprobs, in.ref_logprobs);
    }
    out.loss = aggregate(c.aggregation, per_token, in.mask, norm);

    torch::NoGradGuard no_grad;
    auto m = in.mask.to(torch::kBool);
    // A token counts as clipped when the min picked the clipped term (and it differs).
    out.clipped_tokens = (((ratio * adv) > (clipped * adv)) & m).sum().item<double>();
    if (in.ref_logprobs.defined()) {
        out.kl_sum = (k3_kl(in.logprobs, in.ref_logprobs) * m).sum().item<double>();
    }
    return out;
}

}  // namespace aha::rl
