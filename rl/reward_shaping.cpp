// DAPO's overlong reward shaping; see reward_shaping.h.
#include "rl/reward_shaping.h"

namespace aha::rl {

OverlongConfig OverlongConfig::from_json(ConfigReader r) {
    OverlongConfig c;
    r.read("buffer", c.buffer).read("penalty_factor", c.penalty_factor);
    r.finish();
    return c;
}

Json OverlongConfig::to_json() const { return {{"buffer", buffer}, {"penalty_factor", penalty_factor}}; }

void OverlongConfig::validate(const std::string& path, int max_length) const {
    config_require(buffer >= 0 && buffer < max_length,
                   path + ".buffer",
                   "expected 0 (off) .. max_new_tokens - 1 (" + std::to_string(max_length - 1) + ")");
    config_require(penalty_factor >= 0, path + ".penalty_factor", "expected >= 0");
}

torch::Tensor overlong_penalty(const torch::Tensor& lengths, int max_length, const OverlongConfig& c) {
    auto l = lengths.to(torch::kFloat32);
    if (c.buffer <= 0) return torch::zeros_like(l);
    const double expected = max_length - c.buffer;
    auto over = (l - expected).clamp(0.0, static_cast<double>(c.buffer));  // [N] tokens into the buffer
    return -c.penalty_factor * over / c.buffer;
}

}  // namespace aha::rl
