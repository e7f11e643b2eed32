// Batched sampling with a KV cache: prompts in, completions with per-token log-probabilities out.
// The sampler is a chain of small stages (temperature, top-k, top-p, min-p), each applied to the logits in
// turn, in the order transformers and vLLM apply them.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "policy/transformer.h"

namespace aha::rollout {

// One flat struct, as vLLM's SamplingParams; each field says its range and its "off" value.
//
// Log-probabilities: the log-prob recorded for a chosen token is log softmax(logits / temperature) at that
// token, i.e. under the temperature-scaled distribution *before* top-k/top-p/min-p filtering (temperature 1
// when greedy). That is the distribution the policy loss recomputes from the trainer's forward pass, so the
// ratio of the two is exactly 1 for an unchanged policy.
struct SamplingParams {
    int n = 1;                  // >= 1: completions per prompt (a group); they share the prompt's KV blocks
    double temperature = 1.0;   // >= 0; 0 = greedy (argmax)
    int max_new_tokens = 32;    // >= 1
    int top_k = 0;              // >= 0; 0 = off
    double top_p = 1.0;         // (0, 1]; 1 = off
    double min_p = 0.0;         // [0, 1]; keep tokens with p >= min_p * max p (after temperature); 0 = off
    std::vector<std::string> stop;    // stop strings: generation ends at the token that completes one, and the
                                      // text is cut just before it (needs the engine's detokenizer)
    std::vector<int> stop_token_ids;  // end a completion (the id is kept), besides the model's end ids
    bool ignore_eos = false;          // do not end at the model's end-of-sequence ids
    bool logprobs = true;             // record the chosen tokens' log-probs (see above)
    int64_t seed = 0;                 // the request's random stream; completions depend on it, not on batching

    static SamplingParams from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct Rollout {
    torch::Tensor prompt_ids;        // [N, P] int64, left-padded
    torch::Tensor prompt_valid;      // [N, P] bool
    torch::Tensor completion_ids;    // [N, C] int64, right-padded
    torch::Tensor completion_valid;  // [N, C] bool: generated tokens, the end token included
    // [N, C] float32: log-prob of each generated token under softmax(logits / temperature) (temperature 1
    // when greedy), i.e. before top-k/top-p filtering, as the policy loss recomputes it.
    torch::Tensor logprobs;

    int64_t size() const { return prompt_ids.size(0); }
    // The generated ids of row i (padding removed, end token kept).
    std::vector<int> completion(int64_t i) const;
};

// Left-pads rows of ids to [N, P]; returns {ids, valid}.
std::pair<torch::Tensor, torch::Tensor> left_pad(const std::vector<std::vector<int>>& rows, int pad_id);

// Samples one completion per prompt (repeat a prompt G times for a group), stopping a row at `eos_id` or
// after max_new_tokens. Runs without gradients; the model's mode is left unchanged.
Rollout generate(policy::CausalLM& model,
                 const std::vector<std::vector<int>>& prompts,
                 const SamplingParams& params,
                 int eos_id,
                 int pad_id);

// One stage of the sampling chain: rewrites temperature-scaled logits [N, V], masking dropped tokens to -inf.
class SamplerStage {
 public:
    virtual ~SamplerStage() = default;
    virtual torch::Tensor apply(const torch::Tensor& logits) const = 0;
};

// The stages `params` switches on, in order: top-k, top-p, min-p (temperature is applied before them).
std::vector<std::unique_ptr<SamplerStage>> sampler_chain(const SamplingParams& params);

// The distribution the chain samples from for next-token logits [N, V]: softmax of the filtered,
// temperature-scaled logits (one-hot at the argmax when greedy). [N, V] float32.
torch::Tensor sampling_distribution(const torch::Tensor& logits, const SamplingParams& params);

// The same, stopping a row at any of `stop_ids` (none: only max_new_tokens ends a row).
Rollout generate(policy::CausalLM& model,
                 const std::vector<std::vector<int>>& prompts,
                 const SamplingParams& params,
                 const std::vector<int>& stop_ids,
                 int pad_id);

// The sampling chain on a batch of next-token logits [N, V]; returns the chosen ids [N].
torch::Tensor sample_next(const torch::Tensor& logits, const SamplingParams& params, torch::Generator& gen);

// The same, driven by one uniform number in [0, 1) per row [N] (float64): row i takes the first token whose
// cumulative probability (in vocabulary order) exceeds u_i. Greedy rows ignore u. Returns the ids [N].
torch::Tensor sample_with_uniforms(const torch::Tensor& logits, const SamplingParams& params, const torch::Tensor& u);

// Both at once: {ids [N] int64, chosen_logprobs [N] float32}, row i sampled from logits[rows[i]] (rows: [N]
// int64, or undefined for logits' own rows). With no top-k/top-p/min-p and fp32 CPU logits this runs the
// fused kernel of sampling_kernel.h (no [N, V] temporaries); otherwise the tensor chain.
std::pair<torch::Tensor, torch::Tensor> sample_with_logprobs(const torch::Tensor& logits,
                                                             const SamplingParams& params,
                                                             const torch::Tensor& u,
                                                             const torch::Tensor& rows = {});

// log softmax(logits / temperature) at `tokens` [N] (temperature 1 when greedy): the recorded log-probs. [N] float32
torch::Tensor chosen_logprobs(const torch::Tensor& logits, const SamplingParams& params, const torch::Tensor& tokens);

// A uniform number in [0, 1) that depends only on (seed, sample, step): the counter-based random stream of
// one completion (splitmix64 hashing). Sampling order and batch composition cannot change it.
double stream_uniform(uint64_t seed, uint64_t sample, uint64_t step);

// A request seed derived from a run's seed and the request's index (non-negative, well mixed), so that
// requests of one run get unrelated streams.
int64_t request_seed(int64_t base, int64_t index);

}  // namespace aha::rollout
