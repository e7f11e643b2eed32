// Elementwise math written with plain arithmetic, so that `omp simd` loops over it vectorise
// (compile such loops with -fopenmp-simd -fno-trapping-math). Used by the CPU kernels.
#pragma once

#include <cstdint>

namespace aha {

// exp(x) for x <= 0 to about 1 ulp (Cephes' expf: Cody-Waite reduction by ln 2, degree-6
// polynomial), written with plain arithmetic so that `omp simd` loops vectorise it. Inputs below
// -87 are clamped (the result, ~1e-38, stays a normal float and is negligible next to the row
// maximum's 1).
inline __attribute__((always_inline)) float exp_nonpositive(float x) {
    x = x > -87.f ? x : -87.f;
    // k = x / ln 2 rounded to the nearest integer (adding and subtracting 1.5 * 2^23 rounds, with no
    // branch or floor call to stop vectorisation).
    const float k = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;
    const float r = (x - k * 0.693359375f) - k * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.f;
    const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
    return p * __builtin_bit_cast(float, bits);
}

}  // namespace aha
