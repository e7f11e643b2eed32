// Continuous batching over a paged KV cache; see engine.h.
#include "rollout/engine.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "core/error.h"
#include "core/log.h"

namespace aha::rollout {

EngineConfig EngineConfig::from_json(ConfigReader r) { return from_json(std::move(r), EngineConfig{}); }

EngineConfig EngineConfig::from_json(ConfigReader r, EngineConfig defaults) {
    EngineConfig c = defaults;
    r.read("block_size", c.block_size)
        .read("max_num_seqs", c.max_num_seqs)
        .read("max_num_batched_tokens", c.max_num_batched_tokens)
        .read("kv_cache_bytes", c.kv_cache_bytes)
        .read("num_blocks", c.num_blocks);
    r.finish();
    return c;
}

Json EngineConfig::to_json() const {
    return {{"block_size", block_size},
            {"max_num_seqs", max_num_seqs},
            {"max_num_batched_tokens", max_num_batched_tokens},
            {"kv_cache_bytes", kv_cache_bytes},
            {"num_blocks", num_blocks}};
}

void EngineConfig::validate(const std::string& path) const {
    config_require(block_size >= 1 && block_size <= 1024, path + ".block_size", "expected 1..1024");
    config_require(max_num_seqs >= 1, path + ".max_num_seqs", "expected >= 1");
    config_require(max_num_batched_tokens >= 1, path + ".max_num_batched_tokens", "expected >= 1");
    config_require(
        num_blocks >= 0, path + ".num_blocks", "expected >= 0 (0 = from kv_cache_bytes)");
    config_require(num_blocks > 0 || kv_cache_bytes > 0, path + ".kv_cache_bytes", "expected > 0");
}

struct Engine::Sequence {
    int64_t id = 0;
    int64_t request = 0;
    int sample = -1;  // -1: a request's prompt, forked into `fanout` samples once prefilled
    int fanout = 1;
    std::vector<int> tokens;  // prompt + generated
    int64_t prompt_len = 0;
    int64_t computed = 0;  // positions whose keys/values are in the cache
    std::vector<int32_t> blocks;
    std::vector<float> logprobs;
    std::unique_ptr<TextStream> stream;
    std::string text;
    std::string stop_hit;
    double first_token_seconds = -1;
};

namespace {

torch::TensorOptions model_options(const policy::CausalLM& model) {
    const torch::Tensor p = model->parameters().front();
    return torch::TensorOptions().dtype(p.scalar_type()).device(p.device());
}

int64_t cache_blocks(const EngineConfig& c, int64_t bytes_per_block) {
    c.validate("engine");
    if (c.num_blocks > 0) return c.num_blocks;
    const int64_t n = c.kv_cache_bytes / bytes_per_block;
    if (n < 1) {
        throw ConfigError("engine.kv_cache_bytes: " + std::to_string(c.kv_cache_bytes) +
                          " bytes hold no KV block (one block of " + std::to_string(c.block_size) +
                          " positions takes " + std::to_string(bytes_per_block) + " bytes)");
    }
    return n;
}

}  // namespace

Engine::Engine(policy::CausalLM model,
               EngineConfig config,
               std::vector<int> eos_ids,
               TextStreamFactory detokenizer)
    : model_(std::move(model)),
      config_(config),
      eos_ids_(std::move(eos_ids)),
      detokenizer_(std::move(detokenizer)),
      bytes_per_block_(policy::PagedKV::bytes_per_block(
          model_->config(), config.block_size, model_options(model_).dtype().toScalarType())),
      pool_(cache_blocks(config, bytes_per_block_), config.block_size) {
    kv_ = policy::PagedKV::allocate(
        model_->config(), pool_.num_blocks(), config_.block_size, model_options(model_));
}

Engine::~Engine() = default;

int64_t Engine::seats(const Sequence& s) const { return s.sample < 0 ? s.fanout : 1; }

int64_t Engine::add_request(Request request) {
    const int64_t index = static_cast<int64_t>(requests_.size());
    const std::string where = "request " + std::to_string(index);
    const auto& p = request.params;
    p.validate(where + ".sampling");
    const auto& mc = model_->config();
    config_require(!request.prompt.empty(), where + ".prompt", "expected at least one token id");
    for (size_t i = 0; i < request.prompt.size(); ++i) {
        config_require(request.prompt[i] >= 0 && request.prompt[i] < mc.vocab_size,
                       where + ".prompt[" + std::to_string(i) + "]",
                       "expected a token id in 0.." + std::to_string(mc.vocab_size - 1) + ", got " +
                           std::to_string(request.prompt[i]));
    }
    const int64_t longest = static_cast<int64_t>(request.prompt.size()) + p.max_new_tokens;
    config_require(longest <= mc.max_position,
                   where,
                   "prompt (" + std::to_string(request.prompt.size()) +
                       " tokens) + max_new_tokens (" + std::to_string(p.max_new_tokens) +
                       ") exceeds the model's max_position_embeddings (" +
                       std::to_string(mc.max_position) + ")");
    config_require(pool_.blocks_for(longest) <= pool_.num_blocks(),
                   where,
                   "a sequence of " + std::to_string(longest) + " positions needs " +
                       std::to_string(pool_.blocks_for(longest)) + " KV blocks and the cache has " +
                       std::to_string(pool_.num_blocks()) +
                       "; raise engine.kv_cache_bytes or engine.num_blocks");
    config_require(
        p.n <= config_.max_num_seqs,
        where + ".sampling.n",
        "expected <= engine.max_num_seqs (" + std::to_string(config_.max_num_seqs) + ")");
    config_require(p.stop.empty() || static_cast<bool>(detokenizer_),
                   where + ".sampling.stop",
                   "stop strings need the model's tokenizer to read the text");
    auto s = std::make_unique<Sequence>();
    s->id = next_seq_++;
    s->request = index;
    s->fanout = p.n;
    s->tokens = request.prompt;
    s->prompt_len = static_cast<int64_t>(request.prompt.size());
    waiting_.push_back(s->id);
    seqs_.emplace(s->id, std::move(s));
    requests_.push_back(RequestState{std::move(request), Stopwatch()});
    return index;
}

bool Engine::reserve(Sequence& s, int64_t n, StepPlan& plan) {
    const int64_t first = s.computed / pool_.block_size();
    const int64_t need = pool_.blocks_for(s.computed + n);
    std::vector<int32_t> fresh;
    auto take = [&]() {
        const int32_t b = pool_.allocate();
        if (b >= 0) fresh.push_back(b);
        return b >= 0;
    };
    // A shared block about to be written gets a private copy first.
    std::vector<int64_t> shared;
    for (int64_t i = first; i < static_cast<int64_t>(s.blocks.size()); ++i) {
        if (pool_.ref_count(s.blocks[i]) > 1) shared.push_back(i);
    }
    bool ok = true;
    for (size_t k = 0; ok && k < shared.size(); ++k) ok = take();
    for (int64_t k = static_cast<int64_t>(s.blocks.size()); ok && k < need; ++k) ok = take();
    if (!ok) {
        for (int32_t b : fresh) pool_.release(b);
        return false;
    }
    size_t next = 0;
    for (int64_t i : shared) {
        plan.copy_src.push_back(s.blocks[i]);
        plan.copy_dst.push_back(fresh[next]);
        pool_.release(s.blocks[i]);
        s.blocks[i] = fresh[next++];
    }
    s.blocks.insert(s.blocks.end(), fresh.begin() + static_cast<int64_t>(next), fresh.end());
    return true;
}

void Engine::preempt(int64_t seq) {
    Sequence& s = *seqs_.at(seq);
    pool_.release_all(s.blocks);
    s.computed = 0;
    running_.erase(std::find(running_.begin(), running_.end(), seq));
    used_seats_ -= seats(s);
    waiting_.push_front(seq);
    ++stats_.preemptions;
}

StepPlan Engine::schedule() {
    Stopwatch clock;
    StepPlan plan;
    int64_t budget = config_.max_num_batched_tokens;
    auto add = [&](Sequence& s, int64_t n) {
        ScheduledSequence e;
        e.seq = s.id;
        e.first_position = s.computed;
        e.tokens.assign(s.tokens.begin() + s.computed, s.tokens.begin() + s.computed + n);
        e.blocks = s.blocks;
        e.samples = s.computed + n == static_cast<int64_t>(s.tokens.size());
        const int64_t entry = static_cast<int64_t>(plan.sequences.size());
        if (e.samples) {
            const int64_t generated = static_cast<int64_t>(s.tokens.size()) - s.prompt_len;
            if (s.sample < 0) {
                for (int k = 0; k < s.fanout; ++k) plan.rows.push_back({entry, s.request, k, 0});
            } else {
                plan.rows.push_back({entry, s.request, s.sample, generated});
            }
        }
        plan.sequences.push_back(std::move(e));
        budget -= n;
    };
    // Running sequences first, in admission order; a full cache preempts from the back.
    for (size_t i = 0; i < running_.size() && budget > 0;) {
        Sequence& s = *seqs_.at(running_[i]);
        const int64_t n =
            std::min<int64_t>(static_cast<int64_t>(s.tokens.size()) - s.computed, budget);
        bool ok = reserve(s, n, plan);
        bool self_preempted = false;
        while (!ok) {
            const int64_t victim = running_.back();
            preempt(victim);
            if (victim == s.id) {
                self_preempted = true;
                break;
            }
            ok = reserve(s, n, plan);
        }
        if (self_preempted) break;
        add(s, n);
        ++i;
    }
    // Then waiting sequences (preempted ones first), while seats, tokens and blocks last.
    while (!waiting_.empty() && budget > 0) {
        Sequence& s = *seqs_.at(waiting_.front());
        if (used_seats_ + seats(s) > config_.max_num_seqs) break;
        const int64_t n =
            std::min<int64_t>(static_cast<int64_t>(s.tokens.size()) - s.computed, budget);
        if (!reserve(s, n, plan)) break;
        waiting_.pop_front();
        running_.push_back(s.id);
        used_seats_ += seats(s);
        add(s, n);
    }
    stats_.schedule_seconds += clock.seconds();
    return plan;
}

StepOutput Engine::execute(const StepPlan& plan) {
    Stopwatch clock;
    torch::NoGradGuard no_grad;
    StepOutput out;
    if (plan.empty()) return out;
    kv_.copy_blocks(plan.copy_src, plan.copy_dst);
    std::vector<int64_t> ids, positions, last_rows;
    std::vector<std::vector<int32_t>> tables;
    std::vector<int64_t> counts, firsts;
    std::vector<int64_t> logit_row(plan.sequences.size(), -1);
    for (size_t e = 0; e < plan.sequences.size(); ++e) {
        const auto& s = plan.sequences[e];
        for (size_t j = 0; j < s.tokens.size(); ++j) {
            ids.push_back(s.tokens[j]);
            positions.push_back(s.first_position + static_cast<int64_t>(j));
        }
        if (s.samples) {
            logit_row[e] = static_cast<int64_t>(last_rows.size());
            last_rows.push_back(static_cast<int64_t>(ids.size()) - 1);
        }
        tables.push_back(s.blocks);
        counts.push_back(static_cast<int64_t>(s.tokens.size()));
        firsts.push_back(s.first_position);
    }
    out.tokens.resize(plan.rows.size());
    out.logprobs.resize(plan.rows.size());
    auto batch = policy::PagedBatch::build(kv_, tables, counts, firsts);
    const auto device = kv_.keys.front().device();
    if (last_rows.empty()) {
        model_->model->forward_paged(
            torch::tensor(ids).to(device), torch::tensor(positions).to(device), batch);
        stats_.execute_seconds += clock.seconds();
        return out;
    }
    // Logits of the rows to sample, into a buffer kept across steps (a fresh [E, V] buffer every step
    // would be mapped and unmapped by the allocator each time).
    auto logits = model_->forward_paged(torch::tensor(ids).to(device),
                                        torch::tensor(positions).to(device),
                                        batch,
                                        torch::tensor(last_rows).to(device),
                                        logits_buffer_);  // [E, V]
    if (!logits.device().is_cpu() || logits.scalar_type() != torch::kFloat32) {
        logits = logits.to(torch::kCPU, torch::kFloat32);
    }
    // Rows with the same sampling settings are sampled together (usually all of them).
    using Key = std::tuple<double, int, double, double>;
    std::map<Key, std::vector<size_t>> groups;
    for (size_t r = 0; r < plan.rows.size(); ++r) {
        const auto& p = requests_.at(static_cast<size_t>(plan.rows[r].request)).request.params;
        groups[Key{p.temperature, p.top_k, p.top_p, p.min_p}].push_back(r);
    }
    for (const auto& [key, rows] : groups) {
        const auto& params =
            requests_.at(static_cast<size_t>(plan.rows[rows.front()].request)).request.params;
        std::vector<int64_t> which;
        std::vector<double> u;
        for (size_t r : rows) {
            const auto& row = plan.rows[r];
            which.push_back(logit_row[static_cast<size_t>(row.entry)]);
            const auto& rp = requests_.at(static_cast<size_t>(row.request)).request.params;
            u.push_back(stream_uniform(static_cast<uint64_t>(rp.seed),
                                       static_cast<uint64_t>(row.sample),
                                       static_cast<uint64_t>(row.step)));
        }
        auto [tokens, lp] = sample_with_logprobs(
            logits, params, torch::tensor(u, torch::kFloat64), torch::tensor(which));
        const auto* t = tokens.data_ptr<int64_t>();
        const auto* l = lp.data_ptr<float>();
        for (size_t k = 0; k < rows.size(); ++k) {
            out.tokens[rows[k]] = static_cast<int>(t[k]);
            out.logprobs[rows[k]] = l[k];
        }
    }
    stats_.execute_seconds += clock.seconds();
    return out;
}

bool Engine::stop_string_hit(Sequence& s, size_t before) {
    const auto& stops = requests_.at(static_cast<size_t>(s.request)).request.params.stop;
    size_t cut = std::string::npos;
    std::string which;
    for (const auto& stop : stops) {
        const size_t from = before >= stop.size() ? before - stop.size() + 1 : 0;
        const size_t at = s.text.find(stop, from);
        if (at != std::string::npos && at < cut) {
            cut = at;
            which = stop;
        }
    }
    if (cut == std::string::npos) return false;
    s.text.resize(cut);
    s.stop_hit = which;
    return true;
}

void Engine::append(Sequence& s, int token, float logprob) {
    const auto& state = requests_.at(static_cast<size_t>(s.request));
    const auto& p = state.request.params;
    s.tokens.push_back(token);
    if (p.logprobs) s.logprobs.push_back(logprob);
    if (s.first_token_seconds < 0) s.first_token_seconds = state.clock.seconds();
    const size_t before = s.text.size();
    if (s.stream) s.text += s.stream->push(token);
    const bool eos =
        !p.ignore_eos && std::find(eos_ids_.begin(), eos_ids_.end(), token) != eos_ids_.end();
    const bool stop_id = std::find(p.stop_token_ids.begin(), p.stop_token_ids.end(), token) !=
                         p.stop_token_ids.end();
    const int64_t generated = static_cast<int64_t>(s.tokens.size()) - s.prompt_len;
    if (eos || stop_id) {
        finish(s, "stop", std::to_string(token));
    } else if (s.stream && !p.stop.empty() && stop_string_hit(s, before)) {
        finish(s, "stop", s.stop_hit);
    } else if (generated >= p.max_new_tokens) {
        finish(s, "length", "");
    }
}

void Engine::finish(Sequence& s, const std::string& reason, const std::string& stop_reason) {
    const auto& state = requests_.at(static_cast<size_t>(s.request));
    Completion c;
    c.request = s.request;
    c.sample = s.sample;
    c.finish_reason = reason;
    c.stop_reason = stop_reason;
    if (s.stream && s.stop_hit.empty()) {
        // Bytes held back for a partial character; a stop string can still end in them.
        const size_t before = s.text.size();
        s.text += s.stream->finish();
        if (!state.request.params.stop.empty() && stop_string_hit(s, before)) {
            c.finish_reason = "stop";
            c.stop_reason = s.stop_hit;
        }
    }
    c.token_ids.assign(s.tokens.begin() + s.prompt_len, s.tokens.end());
    c.logprobs = std::move(s.logprobs);
    c.text = std::move(s.text);
    c.first_token_seconds = s.first_token_seconds;
    c.seconds = state.clock.seconds();
    finished_.push_back(std::move(c));
    pool_.release_all(s.blocks);
    running_.erase(std::find(running_.begin(), running_.end(), s.id));
    used_seats_ -= seats(s);
    seqs_.erase(s.id);
}

void Engine::update(const StepPlan& plan, const StepOutput& out) {
    Stopwatch clock;
    size_t r = 0;
    for (const auto& e : plan.sequences) {
        Sequence& s = *seqs_.at(e.seq);
        s.computed += static_cast<int64_t>(e.tokens.size());
        (e.samples && e.tokens.size() == 1 ? stats_.decode_tokens : stats_.prefill_tokens) +=
            static_cast<int64_t>(e.tokens.size());
        if (!e.samples) continue;
        if (s.sample >= 0) {
            append(s, out.tokens.at(r), out.logprobs.at(r));
            ++r;
            continue;
        }
        // A prefilled prompt forks into its samples, which share its blocks; they take its place in
        // the running order.
        std::vector<int64_t> children;
        for (int k = 0; k < s.fanout; ++k) {
            auto child = std::make_unique<Sequence>();
            child->id = next_seq_++;
            child->request = s.request;
            child->sample = k;
            child->tokens = s.tokens;
            child->prompt_len = s.prompt_len;
            child->computed = s.computed;
            child->blocks = s.blocks;
            for (int32_t b : child->blocks) pool_.retain(b);
            if (detokenizer_) child->stream = detokenizer_();
            children.push_back(child->id);
            seqs_.emplace(child->id, std::move(child));
        }
        auto at = std::find(running_.begin(), running_.end(), s.id);
        at = running_.erase(at);
        running_.insert(at, children.begin(), children.end());
        pool_.release_all(s.blocks);
        seqs_.erase(e.seq);
        for (int64_t child : children) {
            append(*seqs_.at(child), out.tokens.at(r), out.logprobs.at(r));
            ++r;
        }
    }
    ++stats_.steps;
    stats_.peak_blocks = std::max(stats_.peak_blocks, pool_.peak_used());
    stats_.update_seconds += clock.seconds();
}

std::vector<Completion> Engine::take_finished() {
    std::vector<Completion> out = std::move(finished_);
    finished_.clear();
    return out;
}

void Engine::reset_stats() {
    stats_ = EngineStats();
    pool_.reset_peak();
}

std::vector<Completion> Engine::run(std::vector<Request> requests) {
    const int64_t first = static_cast<int64_t>(requests_.size());
    for (auto& r : requests) add_request(std::move(r));
    while (has_unfinished()) {
        StepPlan plan = schedule();
        if (plan.empty())
            throw Error(
                "rollout engine: no sequence could be scheduled (KV cache or limits too small)");
        update(plan, execute(plan));
    }
    std::vector<Completion> mine, others;
    for (auto& c : take_finished()) (c.request >= first ? mine : others).push_back(std::move(c));
    finished_ = std::move(others);
    std::sort(mine.begin(), mine.end(), [](const Completion& a, const Completion& b) {
        return std::tie(a.request, a.sample) < std::tie(b.request, b.sample);
    });
    return mine;
}

Rollout run_to_rollout(Engine& engine, std::vector<Request> requests, int pad_id) {
    std::vector<std::vector<int>> prompts;
    for (size_t i = 0; i < requests.size(); ++i) {
        const auto& r = requests[i];
        config_require(r.params.logprobs,
                       "request " + std::to_string(i) + ".sampling.logprobs",
                       "expected true (the trainer needs the rollout's log-probs)");
        for (int k = 0; k < r.params.n; ++k) prompts.push_back(r.prompt);
    }
    const auto completions = engine.run(std::move(requests));
    TORCH_CHECK(completions.size() == prompts.size(), "run_to_rollout: completion count mismatch");
    Rollout out;
    std::tie(out.prompt_ids, out.prompt_valid) = left_pad(prompts, pad_id);
    size_t width = 0;
    for (const auto& c : completions) width = std::max(width, c.token_ids.size());
    const auto n = static_cast<int64_t>(completions.size()), C = static_cast<int64_t>(width);
    out.completion_ids = torch::full({n, C}, pad_id, torch::kLong);
    out.completion_valid = torch::zeros({n, C}, torch::kBool);
    out.logprobs = torch::zeros({n, C}, torch::kFloat32);
    auto ids = out.completion_ids.accessor<int64_t, 2>();
    auto valid = out.completion_valid.accessor<bool, 2>();
    auto lp = out.logprobs.accessor<float, 2>();
    for (int64_t i = 0; i < n; ++i) {
        const auto& c = completions[static_cast<size_t>(i)];
        for (size_t t = 0; t < c.token_ids.size(); ++t) {
            ids[i][static_cast<int64_t>(t)] = c.token_ids[t];
            valid[i][static_cast<int64_t>(t)] = true;
            lp[i][static_cast<int64_t>(t)] = c.logprobs[t];
        }
    }
    return out;
}

}  // namespace aha::rollout
