// `aha generate`: samples completions for a JSONL file of prompts with a checkpoint directory and writes one
// JSON line per completion. Runs on the rollout engine (rollout/engine.h).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "rollout/engine.h"

namespace aha::cli {

struct GenerateOptions {
    std::string model;    // checkpoint directory (config.json, safetensors, tokenizer.json or aha_tokenizer.json)
    std::string prompts;  // JSONL: {"prompt": text} or {"prompt_ids": [...]}
    int n = 1;            // completions per prompt
    double temperature = 1.0, top_p = 1.0, min_p = 0.0;
    int top_k = 0;
    int max_tokens = 64;
    std::vector<std::string> stop;   // stop strings: the text is cut before the first one
    std::vector<int> stop_token_ids; // extra ids that end a completion (kept in token_ids)
    int64_t seed = 0;
    bool ignore_eos = false;
    bool logprobs = false;
    std::string dtype = "auto";
    int threads = 0;  // 0 = LibTorch's default
    rollout::EngineConfig engine;  // --block-size, --max-num-seqs, --max-num-batched-tokens, --kv-cache-memory
};

// Output lines, in input order with the n samples of a prompt consecutive: prompt_index, sample_index,
// token_ids, text (with a tokenizer), finish_reason ("stop" or "length"), stop_reason (the stop string or
// end id, when finish_reason is "stop"), logprobs (with options.logprobs). Each prompt's samples are drawn
// from the random stream request_seed(seed, prompt_index), so a prompt's completions do not depend on the
// other prompts in the file.
int run_generate(const GenerateOptions& options, std::ostream& out);

}  // namespace aha::cli
