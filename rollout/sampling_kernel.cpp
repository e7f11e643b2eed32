// The fused sampling kernel; see sampling_kernel.h.
#include "rollout/sampling_kernel.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace aha::rollout {

namespace {

// exp(x) for x <= 0 to about 1 ulp (Cephes' expf: Cody-Waite reduction by ln 2, degree-6
// polynomial), written with plain arithmetic so that `omp simd` loops vectorise it. Inputs below
// -87 are clamped (the result, ~1e-38, stays a normal float and is negligible next to the row
// maximum's 1).
inline __attribute__((always_inline)) float exp_nonpositive(float x) {
    x = x < -87.f ? -87.f : x;
    const float k = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    const float r = (x - k * 0.693359375f) - k * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.f;
    const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

inline __attribute__((always_inline)) void sample_row(const float* x,
                                                      int64_t V,
                                                      double u,
                                                      double temperature,
                                                      float* e,
                                                      int64_t* token,
                                                      float* logprob) {
    float m = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : m)
    for (int64_t v = 0; v < V; ++v) m = x[v] > m ? x[v] : m;
    const bool greedy = temperature == 0.0;
    const float inv_t = greedy ? 1.f : static_cast<float>(1.0 / temperature);
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t v = 0; v < V; ++v) {
        e[v] = exp_nonpositive((x[v] - m) * inv_t);
        sum += static_cast<double>(e[v]);
    }
    int64_t chosen = 0;
    if (greedy) {
        while (x[chosen] != m) ++chosen;
    } else {
        const double target = u * sum;
        double acc = 0.0;
        chosen = -1;
        for (int64_t v = 0; v < V; ++v) {
            acc += static_cast<double>(e[v]);
            if (acc > target) {
                chosen = v;
                break;
            }
        }
        if (chosen < 0) {  // rounding left the target at the very end: the last token with mass
            chosen = V - 1;
            while (chosen > 0 && e[chosen] == 0.f) --chosen;
        }
    }
    *token = chosen;
    *logprob = static_cast<float>(static_cast<double>((x[chosen] - m) * inv_t) - std::log(sum));
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void sample_range(const float* logits,
                  const int64_t* row_of,
                  int64_t begin,
                  int64_t end,
                  int64_t V,
                  const double* u,
                  double temperature,
                  int64_t* tokens,
                  float* logprobs) {
    std::vector<float> e(static_cast<size_t>(V));
    for (int64_t r = begin; r < end; ++r) {
        sample_row(
            logits + row_of[r] * V, V, u[r], temperature, e.data(), tokens + r, logprobs + r);
    }
}

}  // namespace

void sample_rows_fused(const float* logits,
                       const int64_t* row_of,
                       int64_t rows,
                       int64_t vocab,
                       const double* u,
                       double temperature,
                       int64_t* tokens,
                       float* logprobs) {
    at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
        sample_range(logits, row_of, begin, end, vocab, u, temperature, tokens, logprobs);
    });
}

}  // namespace aha::rollout
