// A fused CPU kernel for the common sampling case (temperature only, or greedy, no
// top-k/top-p/min-p): vectorised passes over each row's logits compute the normaliser and sums of
// 256-token blocks; the walk to the row's uniform draw steps over the block sums, then inside one
// block; the log-prob of the chosen token comes out of the same sums. No [N, V] temporaries.
#pragma once

#include <cstdint>

namespace aha::rollout {

// logits [*, vocab] fp32 row-major; output row i samples logits row row_of[i] with u[i] in [0, 1);
// temperature > 0, or 0 for greedy (u unused, the first maximal logit). Writes tokens [rows] and
// log softmax(logits / T)[token] [rows] (T = 1 when greedy).
void sample_rows_fused(const float* logits,
                       const int64_t* row_of,
                       int64_t rows,
                       int64_t vocab,
                       const double* u,
                       double temperature,
                       int64_t* tokens,
                       float* logprobs);

}  // namespace aha::rollout
