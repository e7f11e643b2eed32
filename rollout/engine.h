// The rollout engine: continuous batching over a paged KV cache.
//
// Requests (a prompt's token ids and SamplingParams) go in; completions (token ids, per-token
// log-probs, text, finish reason, timing) come out. Each step is three calls passing plain data:
//   schedule()          decides which sequences run and how many tokens each contributes (a decode
//   token, or
//                       a chunk of a prompt), allocating their KV blocks; may preempt sequences
//                       when the cache is full;
//   execute(plan)       runs one packed forward pass over all scheduled tokens and samples the next
//   tokens; update(plan, out)   appends them, detects stops, frees the blocks of finished
//   sequences.
// run() loops the three until every request is answered.
//
// Batching: finished sequences leave and waiting ones join at every step, under max_num_seqs
// running sequences and max_num_batched_tokens tokens per step; a prompt longer than the token
// budget is prefilled in chunks over several steps.
//
// KV cache: fixed-size blocks (policy/paged_attention.h), a block table per sequence and a free
// list (rollout/block_pool.h). A request's prompt is prefilled once; its n samples then share the
// prompt's blocks (reference-counted) and each copies the shared, partially filled last block
// before its first write (copy-on-write), so a group costs prompt + n * completion positions. When
// a step needs a block and none is free, the most recently admitted sequence is preempted: its
// blocks are freed and it waits at the head of the queue to be recomputed (prompt and tokens so far
// prefilled again), never an error.
//
// Determinism: the k-th token of sample s of a request is drawn with stream_uniform(seed, s, k), so
// completions depend on the request's seed and prompt, not on batch composition, scheduling order
// or preemption (up to floating-point differences between batch shapes, which move a draw only when
// it lands within ~1e-6 of a boundary of the cumulative distribution).
//
// Weights: the engine keeps a handle to the model (torch modules are shared handles), not a copy.
// The trainer's optimizer updates the same parameter tensors in place, so the next step after an
// optimizer step samples from the new weights with nothing copied; the KV cache holds no state
// across run() calls.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/log.h"
#include "policy/paged_attention.h"
#include "policy/transformer.h"
#include "rollout/block_pool.h"
#include "rollout/sampler.h"

namespace aha::rollout {

struct EngineConfig {
    int64_t block_size = 16;     // positions per KV block
    int64_t max_num_seqs = 256;  // running sequences at once (a group of n counts n)
    int64_t max_num_batched_tokens =
        2048;  // tokens per forward pass (decode tokens + prefill chunks)
    int64_t kv_cache_bytes = int64_t{4}
                             << 30;  // KV memory budget; pages are committed as blocks are used
    int64_t num_blocks = 0;          // > 0: this many blocks instead of kv_cache_bytes

    static EngineConfig from_json(ConfigReader r);
    // Keys absent from the JSON keep their value in `defaults`.
    static EngineConfig from_json(ConfigReader r, EngineConfig defaults);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct Request {
    std::vector<int> prompt;  // token ids, at least one
    SamplingParams params;
};

struct Completion {
    int64_t request = 0;  // index of the request (submission order)
    int sample = 0;       // 0..n-1
    std::vector<int>
        token_ids;  // generated ids; a stop token id is kept, text after a stop string is not
    std::vector<float> logprobs;  // one per token id when params.logprobs (see SamplingParams)
    std::string finish_reason;    // "stop" (end id or stop string) or "length"
    std::string stop_reason;  // the stop string, or the stop token id as text; empty for "length"
    std::string text;  // the decoded completion (with a detokenizer), cut before a stop string
    double first_token_seconds = 0;  // from submission to this sample's first token
    double seconds = 0;              // from submission to completion
};

// Incremental detokenisation of one sequence (for stop strings and `text`).
class TextStream {
   public:
    virtual ~TextStream() = default;
    virtual std::string push(int id) = 0;  // text completed by this token (may be empty)
    virtual std::string finish() = 0;      // text still pending at the end
};
using TextStreamFactory = std::function<std::unique_ptr<TextStream>()>;

// ---- the plain data passed between the three steps ----
struct ScheduledSequence {
    int64_t seq = 0;              // engine-internal sequence id
    int64_t first_position = 0;   // position of tokens[0]
    std::vector<int> tokens;      // the tokens this step feeds
    std::vector<int32_t> blocks;  // the sequence's block table
    bool samples = false;  // its last token's logits are sampled (it has no uncomputed tokens left)
};
struct SampleRow {
    int64_t entry = 0;  // index into StepPlan::sequences
    int64_t request = 0;
    int sample = 0;
    int64_t step = 0;  // tokens this sample has generated so far
};
struct StepPlan {
    std::vector<ScheduledSequence> sequences;
    std::vector<SampleRow> rows;
    std::vector<int32_t> copy_src,
        copy_dst;  // copy-on-write of shared blocks, before the forward pass
    bool empty() const { return sequences.empty(); }
};
struct StepOutput {
    std::vector<int> tokens;      // one per SampleRow
    std::vector<float> logprobs;  // one per SampleRow
};

struct EngineStats {
    int64_t steps = 0;
    int64_t prefill_tokens = 0;  // prompt and recomputed positions run through the model
    int64_t decode_tokens = 0;
    int64_t preemptions = 0;
    int64_t peak_blocks = 0;  // the most KV blocks in use at once
    double schedule_seconds = 0, execute_seconds = 0, update_seconds = 0;
};

class Engine {
   public:
    // eos_ids: the model's end-of-sequence ids (ignored by requests with ignore_eos). detokenizer:
    // optional; needed by stop strings, and gives completions their text.
    Engine(policy::CausalLM model,
           EngineConfig config,
           std::vector<int> eos_ids,
           TextStreamFactory detokenizer = {});
    ~Engine();

    // Validates and queues a request; returns its index. Errors name the request and what is wrong.
    int64_t add_request(Request request);
    bool has_unfinished() const { return !waiting_.empty() || !running_.empty(); }

    StepPlan schedule();
    StepOutput execute(const StepPlan& plan);
    void update(const StepPlan& plan, const StepOutput& out);

    // Completions finished so far, in finishing order; the list is cleared.
    std::vector<Completion> take_finished();
    // Submits the requests, runs until all are answered, and returns every completion ordered by
    // (request, sample).
    std::vector<Completion> run(std::vector<Request> requests);

    const EngineStats& stats() const { return stats_; }
    void reset_stats();
    const BlockPool& blocks() const { return pool_; }
    int64_t bytes_per_block() const { return bytes_per_block_; }

   private:
    struct Sequence;
    struct RequestState {
        Request request;
        Stopwatch clock;  // since submission
    };
    bool reserve(Sequence& s, int64_t n, StepPlan& plan);
    void preempt(int64_t seq);
    void append(Sequence& s, int token, float logprob);
    void finish(Sequence& s, const std::string& reason, const std::string& stop_reason);
    bool stop_string_hit(Sequence& s, size_t before);
    int64_t seats(const Sequence& s) const;

    policy::CausalLM model_;
    EngineConfig config_;
    std::vector<int> eos_ids_;
    TextStreamFactory detokenizer_;
    int64_t bytes_per_block_ = 0;
    BlockPool pool_;
    policy::PagedKV kv_;
    std::map<int64_t, std::unique_ptr<Sequence>> seqs_;
    std::vector<RequestState> requests_;
    std::deque<int64_t> waiting_;
    std::vector<int64_t> running_;  // admission order; preemption takes from the back
    int64_t next_seq_ = 0;
    int64_t used_seats_ = 0;
    std::vector<Completion> finished_;
    EngineStats stats_;
    torch::Tensor logits_buffer_;  // [E, V], reused by every step
};

// Runs `requests` on the engine and packs the completions into the trainer's padded Rollout: row
// order (request, sample), so the n samples of a prompt are consecutive rows; prompts left-padded
// and completions right-padded with pad_id. Every request must record log-probs.
Rollout run_to_rollout(Engine& engine, std::vector<Request> requests, int pad_id);

}  // namespace aha::rollout
