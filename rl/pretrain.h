// Supervised next-token pretraining of a base model on a text corpus (each line wrapped in <bos> ... <eos>);
// the demo uses it to make a tiny base model that knows the task's vocabulary before any RL.
#pragma once

#include <functional>
#include <random>
#include <string>

#include "core/config.h"
#include "policy/char_tokenizer.h"
#include "policy/transformer.h"

namespace aha::rl {

struct PretrainConfig {
    int steps = 1500;
    int batch_size = 64;
    double learning_rate = 3e-3;  // peak; linear warm-up then cosine decay to min_lr_ratio * peak
    double min_lr_ratio = 0.1;
    int warmup_steps = 50;
    double weight_decay = 0.01;
    double max_grad_norm = 1.0;
    int64_t seed = 0;
    int log_every = 100;

    static PretrainConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

using LineSource = std::function<std::string(std::mt19937_64&)>;

struct PretrainResult {
    double final_loss = 0;  // mean over the last log_every steps
    double seconds = 0;
};

// Trains `model` in place; `on_log(step, mean_loss)` is called every log_every steps.
PretrainResult pretrain(policy::CausalLM& model,
                        const policy::CharTokenizer& tokenizer,
                        const LineSource& next_line,
                        const PretrainConfig& config,
                        const std::function<void(int, double)>& on_log);

// Learning rate at `step` for the warm-up + cosine schedule.
double scheduled_lr(const PretrainConfig& c, int step);

}  // namespace aha::rl
