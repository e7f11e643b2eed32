// Training-step throughput benchmark (scripts/bench/forward.sh): forward + backward of a causal-LM loss on
// a random-weight model built from a Hugging Face config.json, and one JSON line with tokens per second.
// usage: aha_bench_forward CONFIG_JSON BATCH SEQ THREADS REPEATS DTYPE [DEVICE] [checkpointing]
// THREADS 0 keeps LibTorch's default; DEVICE is cpu (default) or cuda.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <torch/cuda.h>

#include "core/error.h"
#include "core/log.h"
#include "policy/checkpoint.h"

int main(int argc, char** argv) {
    if (argc < 7 || argc > 9) {
        std::fprintf(stderr, "usage: %s CONFIG_JSON BATCH SEQ THREADS REPEATS DTYPE [DEVICE] [checkpointing]\n", argv[0]);
        return 2;
    }
    try {
        const int batch = std::atoi(argv[2]), seq = std::atoi(argv[3]), threads = std::atoi(argv[4]);
        const int repeats = std::atoi(argv[5]);
        if (threads > 0) torch::set_num_threads(threads);
        const torch::Device device(argc >= 8 ? argv[7] : "cpu");
        const bool checkpointing = argc == 9 && std::string(argv[8]) == "checkpointing";
        torch::manual_seed(0);
        auto config = aha::policy::TransformerConfig::from_hf_json(aha::load_json_file(argv[1]), argv[1]);
        aha::policy::CausalLM model(config);
        model->to(device, aha::policy::parse_dtype(argv[6], "DTYPE"));
        model->train();
        model->set_gradient_checkpointing(checkpointing);
        const int64_t V = config.vocab_size;
        auto ids = (torch::arange(batch * (seq + 1)).view({batch, seq + 1}) * 7919 + 13).remainder(V).to(device);
        auto inputs = ids.narrow(1, 0, seq).contiguous(), targets = ids.narrow(1, 1, seq).reshape({-1});
        auto positions = torch::arange(seq).unsqueeze(0).expand({batch, seq}).contiguous().to(device);
        auto valid = torch::ones({batch, seq}, torch::TensorOptions().dtype(torch::kBool).device(device));
        auto step = [&] {
            model->zero_grad();
            auto logits = model->forward(inputs, positions, valid);
            auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, V}).to(torch::kFloat32), targets);
            loss.backward();
        };
        auto sync = [&] {
            if (device.is_cuda()) torch::cuda::synchronize();
        };
        step();  // warm-up
        sync();
        aha::Stopwatch clock;
        for (int r = 0; r < repeats; ++r) step();
        sync();
        const double seconds = clock.seconds() / repeats;
        std::printf("{\"impl\": \"aha\", \"parameters\": %lld, \"seconds\": %.4f, \"tokens_per_second\": %.1f}\n",
                    static_cast<long long>(model->num_parameters()), seconds, batch * seq / seconds);
    } catch (const aha::Error& e) {
        std::fprintf(stderr, "aha_bench_forward: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
