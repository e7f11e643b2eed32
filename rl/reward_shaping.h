// Length-based reward shaping of DAPO (Yu et al. 2025). A completion longer than
// max_length - buffer loses penalty_factor * (length - (max_length - buffer)) / buffer, which is
// -penalty_factor at max_length. Shorter completions are not touched. buffer 0 turns it off.
#pragma once

#include <torch/torch.h>

#include "core/config.h"

namespace aha::rl {

struct OverlongConfig {
    int buffer = 0;               // tokens before max_new_tokens where the penalty starts; 0 = off
    double penalty_factor = 1.0;  // the penalty at max_new_tokens

    static OverlongConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path, int max_length) const;
};

// Penalties [N] (<= 0, float32) for completion lengths [N].
torch::Tensor overlong_penalty(const torch::Tensor& lengths, int max_length, const OverlongConfig& config);

}  // namespace aha::rl
