// Rollout throughput benchmark (scripts/bench/rollout.sh): the rollout engine samples PROMPTS
// prompts x N completions of exactly NEW_TOKENS tokens (no early stop) from a checkpoint and prints
// one JSON line with tokens per second and the engine's statistics. usage: aha_bench_rollout
// CHECKPOINT_DIR PROMPT_LEN PROMPTS N NEW_TOKENS THREADS REPEATS [DTYPE] (DTYPE: float32, bfloat16,
// float16 or auto, the default: as stored)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "core/log.h"
#include "policy/checkpoint.h"
#include "rollout/engine.h"

int main(int argc, char** argv) {
    if (argc != 8 && argc != 9) {
        std::fprintf(stderr,
                     "usage: %s CHECKPOINT_DIR PROMPT_LEN PROMPTS N NEW_TOKENS THREADS REPEATS [DTYPE]\n",
                     argv[0]);
        return 2;
    }
    try {
        const int prompt_len = std::atoi(argv[2]), prompts = std::atoi(argv[3]),
                  n = std::atoi(argv[4]);
        const int new_tokens = std::atoi(argv[5]), threads = std::atoi(argv[6]),
                  repeats = std::atoi(argv[7]);
        torch::set_num_threads(threads);
        aha::policy::CausalLM model = aha::policy::load_model(argv[1], argc == 9 ? argv[8] : "auto");
        model->eval();
        const int vocab = model->config().vocab_size;
        aha::rollout::EngineConfig config;
        config.max_num_seqs =
            static_cast<int64_t>(prompts) * n;  // everything in flight, as generate() does
        aha::rollout::Engine engine(model, config, /*eos_ids=*/{});
        auto requests = [&](int new_tokens_now, int64_t seed) {
            std::vector<aha::rollout::Request> out(static_cast<size_t>(prompts));
            for (int b = 0; b < prompts; ++b) {
                for (int t = 0; t < prompt_len; ++t)
                    out[b].prompt.push_back(3 + (b * 7 + t * 13) % (vocab - 3));
                out[b].params.n = n;
                out[b].params.max_new_tokens = new_tokens_now;
                out[b].params.seed = seed * prompts + b;
            }
            return out;
        };
        engine.run(requests(8, 1000));  // warm-up
        engine.reset_stats();
        aha::Stopwatch clock;
        int64_t generated = 0;
        for (int r = 0; r < repeats; ++r) {
            for (const auto& c : engine.run(requests(new_tokens, r)))
                generated += static_cast<int64_t>(c.token_ids.size());
        }
        const double seconds = clock.seconds() / repeats;
        const auto& s = engine.stats();
        std::printf(
            "{\"impl\": \"aha\", \"seconds\": %.4f, \"tokens_per_second\": %.1f, \"steps\": %lld, "
            "\"peak_kv_mib\": %.1f, \"prefill_tokens\": %lld, \"preemptions\": %lld, "
            "\"schedule_s\": %.3f, "
            "\"execute_s\": %.3f, \"update_s\": %.3f}\n",
            seconds,
            static_cast<double>(generated) / repeats / seconds,
            static_cast<long long>(s.steps),
            static_cast<double>(s.peak_blocks * engine.bytes_per_block()) / (1 << 20),
            static_cast<long long>(s.prefill_tokens),
            static_cast<long long>(s.preemptions),
            s.schedule_seconds,
            s.execute_seconds,
            s.update_seconds);
    } catch (const aha::Error& e) {
        std::fprintf(stderr, "aha_bench_rollout: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
