// The fused sampling kernel; see sampling_kernel.h.
#include "rollout/sampling_kernel.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/vector_math.h"

namespace aha::rollout {

namespace {

constexpr int64_t kBlock = 256;  // the cumulative walk first steps over sums of this many tokens

// The first token whose cumulative mass exceeds target: over block sums, then inside the block. The
// walk adds the same per-token values as the sums did, so it agrees with them up to rounding; if
// rounding leaves the target past a block's end, the last token with mass is taken.
inline __attribute__((always_inline)) int64_t walk(const float* e,
                                                   const double* block_sums,
                                                   int64_t V,
                                                   double target) {
    double acc = 0.0;
    for (int64_t b = 0, begin = 0; begin < V; ++b, begin += kBlock) {
        if (acc + block_sums[b] <= target) {
            acc += block_sums[b];
            continue;
        }
        const int64_t end = std::min(V, begin + kBlock);
        for (int64_t v = begin; v < end; ++v) {
            acc += static_cast<double>(e[v]);
            if (acc > target) return v;
        }
        break;
    }
    int64_t last = V - 1;
    while (last > 0 && e[last] == 0.f) --last;
    return last;
}

inline __attribute__((always_inline)) void sample_row(const float* x,
                                                      int64_t V,
                                                      double u,
                                                      double temperature,
                                                      float* e,
                                                      double* block_sums,
                                                      int64_t* token,
                                                      float* logprob) {
    float m = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : m)
    for (int64_t v = 0; v < V; ++v) m = x[v] > m ? x[v] : m;
    const bool greedy = temperature == 0.0;
    const float inv_t = greedy ? 1.f : static_cast<float>(1.0 / temperature);
    // Separate loops, so that each vectorises: the exponentials, then their sums in double.
#pragma omp simd
    for (int64_t v = 0; v < V; ++v) e[v] = exp_nonpositive((x[v] - m) * inv_t);
    double sum = 0.0;
    for (int64_t b = 0, begin = 0; begin < V; ++b, begin += kBlock) {
        const int64_t end = std::min(V, begin + kBlock);
        double block = 0.0;
#pragma omp simd reduction(+ : block)
        for (int64_t v = begin; v < end; ++v) block += static_cast<double>(e[v]);
        block_sums[b] = block;
        sum += block;
    }
    int64_t chosen = 0;
    if (greedy) {
        while (x[chosen] != m) ++chosen;
    } else {
        chosen = walk(e, block_sums, V, u * sum);
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
    std::vector<double> block_sums(static_cast<size_t>((V + kBlock - 1) / kBlock));
    for (int64_t r = begin; r < end; ++r) {
        sample_row(logits + row_of[r] * V,
                   V,
                   u[r],
                   temperature,
                   e.data(),
                   block_sums.data(),
                   tokens + r,
                   logprobs + r);
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
