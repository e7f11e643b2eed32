// Rotary tables and rotations; see rope.h.
#include "policy/rope.h"

#include <algorithm>
#include <cmath>

namespace aha::policy {

namespace {

// Half-split layout (Llama/Qwen): the second half of the rotary dimensions is rotated against the first.
torch::Tensor rotate_half(const torch::Tensor& x) {
    int64_t half = x.size(-1) / 2;
    return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

double yarn_mscale(double scale, double mscale) { return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0; }

std::pair<torch::Tensor, double> rope_frequencies(const RopeConfig& r, int dim) {
    // fp32 throughout, in transformers' order of operations, so the tables agree bit for bit.
    auto exponents = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / dim;  // [dim/2]
    auto pos_freqs = torch::pow(r.theta, exponents);
    auto inv_freq = 1.0 / pos_freqs;
    double scale = 1.0;
    if (r.type == "linear") {
        inv_freq = inv_freq / r.factor;
    } else if (r.type == "llama3") {
        const double old_len = r.original_max_position;
        const double low_wavelen = old_len / r.low_freq_factor, high_wavelen = old_len / r.high_freq_factor;
        auto wavelen = 2 * M_PI / inv_freq;
        auto scaled = torch::where(wavelen > low_wavelen, inv_freq / r.factor, inv_freq);
        auto smooth = (old_len / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
        auto smoothed = (1 - smooth) * scaled / r.factor + smooth * scaled;
        auto medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen);
        inv_freq = torch::where(medium, smoothed, scaled);
    } else if (r.type == "yarn") {
        if (r.attention_factor > 0) {
            scale = r.attention_factor;
        } else if (r.mscale != 0 && r.mscale_all_dim != 0) {
            scale = yarn_mscale(r.factor, r.mscale) / yarn_mscale(r.factor, r.mscale_all_dim);
        } else {
            scale = yarn_mscale(r.factor, 1.0);
        }
        auto correction_dim = [&](double rotations) {
            return dim * std::log(r.original_max_position / (rotations * 2 * M_PI)) / (2 * std::log(r.theta));
        };
        double low = correction_dim(r.beta_fast), high = correction_dim(r.beta_slow);
        if (r.truncate) {
            low = std::floor(low);
            high = std::ceil(high);
        }
        low = std::max(low, 0.0);
        high = std::min(high, static_cast<double>(dim - 1));
        if (low == high) high += 0.001;
        auto ramp = ((torch::arange(dim / 2, torch::kFloat32) - low) / (high - low)).clamp(0, 1);
        auto extrapolation = 1 - ramp;
        auto interpolation = 1.0 / (r.factor * pos_freqs);
        inv_freq = interpolation * (1 - extrapolation) + inv_freq * extrapolation;
    }
    return {inv_freq, scale};
}

torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, bool interleave) {
    if (!interleave) return x * cos + rotate_half(x) * sin;
    // Interleaved pairs (x0, x1), (x2, x3), ...; the output lists the rotated even members, then the odd
    // ones. Queries and keys get the same permutation, so their dot products are unchanged.
    const int64_t half = x.size(-1) / 2;
    using torch::indexing::Slice;
    auto c = cos.narrow(-1, 0, half), s = sin.narrow(-1, 0, half);
    auto x1 = x.index({"...", Slice(0, torch::indexing::None, 2)});
    auto x2 = x.index({"...", Slice(1, torch::indexing::None, 2)});
    return torch::cat({x1 * c - x2 * s, x2 * c + x1 * s}, -1);
}

}  // namespace aha::policy
