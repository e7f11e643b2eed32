// Rollout throughput benchmark (scripts/bench/rollout.sh): samples N prompts x max_new_tokens with the KV
// cache from a checkpoint, no early stop, and prints one JSON line with tokens per second.
// usage: aha_bench_rollout CHECKPOINT_DIR PROMPT_LEN BATCH NEW_TOKENS THREADS REPEATS
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "core/log.h"
#include "policy/checkpoint.h"
#include "rollout/sampler.h"

int main(int argc, char** argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: %s CHECKPOINT_DIR PROMPT_LEN BATCH NEW_TOKENS THREADS REPEATS\n", argv[0]);
        return 2;
    }
    try {
        const int prompt_len = std::atoi(argv[2]), batch = std::atoi(argv[3]), new_tokens = std::atoi(argv[4]);
        const int threads = std::atoi(argv[5]), repeats = std::atoi(argv[6]);
        torch::set_num_threads(threads);
        aha::policy::CausalLM model = aha::policy::load_model(argv[1]);
        model->eval();
        const int vocab = model->config().vocab_size;
        std::vector<std::vector<int>> prompts(batch);
        for (int b = 0; b < batch; ++b) {
            for (int t = 0; t < prompt_len; ++t) prompts[b].push_back(3 + (b * 7 + t * 13) % (vocab - 3));
        }
        aha::rollout::SamplingParams params;
        params.max_new_tokens = new_tokens;
        aha::rollout::generate(model, prompts, params, /*eos_id=*/-1, /*pad_id=*/0);  // warm-up
        aha::Stopwatch clock;
        for (int r = 0; r < repeats; ++r) {
            params.seed = r;
            aha::rollout::generate(model, prompts, params, -1, 0);
        }
        double seconds = clock.seconds() / repeats;
        std::printf("{\"impl\": \"aha\", \"seconds\": %.4f, \"tokens_per_second\": %.1f}\n", seconds,
                    batch * new_tokens / seconds);
    } catch (const aha::Error& e) {
        std::fprintf(stderr, "aha_bench_rollout: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
