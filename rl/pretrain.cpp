// Supervised next-token pretraining; see pretrain.h.
#include "rl/pretrain.h"

#include <cmath>

#include "core/log.h"
#include "rl/lr_schedule.h"
#include "rollout/sampler.h"

namespace aha::rl {

PretrainConfig PretrainConfig::from_json(ConfigReader r) {
    PretrainConfig c;
    r.read("steps", c.steps)
        .read("batch_size", c.batch_size)
        .read("learning_rate", c.learning_rate)
        .read("min_lr_ratio", c.min_lr_ratio)
        .read("warmup_steps", c.warmup_steps)
        .read("weight_decay", c.weight_decay)
        .read("max_grad_norm", c.max_grad_norm)
        .read("seed", c.seed)
        .read("log_every", c.log_every);
    r.finish();
    return c;
}

Json PretrainConfig::to_json() const {
    return {{"steps", steps},
            {"batch_size", batch_size},
            {"learning_rate", learning_rate},
            {"min_lr_ratio", min_lr_ratio},
            {"warmup_steps", warmup_steps},
            {"weight_decay", weight_decay},
            {"max_grad_norm", max_grad_norm},
            {"seed", seed},
            {"log_every", log_every}};
}

void PretrainConfig::validate(const std::string& path) const {
    config_require(steps >= 1, path + ".steps", "expected >= 1");
    config_require(batch_size >= 1, path + ".batch_size", "expected >= 1");
    config_require(learning_rate > 0, path + ".learning_rate", "expected > 0");
    config_require(min_lr_ratio >= 0 && min_lr_ratio <= 1, path + ".min_lr_ratio", "expected in [0, 1]");
    config_require(warmup_steps >= 0, path + ".warmup_steps", "expected >= 0");
    config_require(weight_decay >= 0, path + ".weight_decay", "expected >= 0");
    config_require(max_grad_norm >= 0, path + ".max_grad_norm", "expected >= 0 (0 = off)");
    config_require(log_every >= 1, path + ".log_every", "expected >= 1");
}

double scheduled_lr(const PretrainConfig& c, int step) {
    return lr_at(LrSchedule{"cosine", c.warmup_steps, c.min_lr_ratio}, c.learning_rate, step, c.steps);
}

PretrainResult pretrain(policy::CausalLM& model,
                        const policy::CharTokenizer& tokenizer,
                        const LineSource& next_line,
                        const PretrainConfig& config,
                        const std::function<void(int, double)>& on_log) {
    config.validate("pretrain");
    Stopwatch clock;
    std::mt19937_64 rng(static_cast<uint64_t>(config.seed));
    torch::optim::AdamW optimizer(model->parameters(),
                                  torch::optim::AdamWOptions(config.learning_rate).betas({0.9, 0.98}).weight_decay(config.weight_decay));
    model->train();
    PretrainResult result;
    double window = 0;
    for (int step = 0; step < config.steps; ++step) {
        std::vector<std::vector<int>> rows;
        for (int b = 0; b < config.batch_size; ++b) rows.push_back(tokenizer.encode("<bos>" + next_line(rng) + "<eos>"));
        // Right padding: positions then count from 0 at <bos> in every row.
        int64_t width = 0;
        for (const auto& r : rows) width = std::max<int64_t>(width, static_cast<int64_t>(r.size()));
        TORCH_CHECK(width <= model->config().max_position, "pretraining line longer than max_position");
        std::vector<int64_t> flat_ids(config.batch_size * width, tokenizer.pad_id());
        std::vector<uint8_t> flat_valid(config.batch_size * width, 0);
        for (int b = 0; b < config.batch_size; ++b) {
            for (size_t t = 0; t < rows[b].size(); ++t) {
                flat_ids[b * width + t] = rows[b][t];
                flat_valid[b * width + t] = 1;
            }
        }
        auto ids = torch::from_blob(flat_ids.data(), {config.batch_size, width}, torch::kLong).clone();
        auto valid = torch::from_blob(flat_valid.data(), {config.batch_size, width}, torch::kUInt8).to(torch::kBool);
        auto logits = model->forward(ids, policy::positions_from_mask(valid), valid);  // [B, T, V]
        auto targets = ids.narrow(1, 1, width - 1).masked_fill(valid.narrow(1, 1, width - 1).logical_not(), -100);
        auto loss = torch::nn::functional::cross_entropy(
            logits.narrow(1, 0, width - 1).reshape({-1, logits.size(-1)}),
            targets.reshape({-1}),
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
        for (auto& group : optimizer.param_groups()) {
            static_cast<torch::optim::AdamWOptions&>(group.options()).lr(scheduled_lr(config, step));
        }
        optimizer.zero_grad();
        loss.backward();
        if (config.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), config.max_grad_norm);
        optimizer.step();
        window += loss.item<double>();
        if ((step + 1) % config.log_every == 0 || step + 1 == config.steps) {
            int n = (step + 1) % config.log_every == 0 ? config.log_every : (step + 1) % config.log_every;
            result.final_loss = window / n;
            if (on_log) on_log(step + 1, result.final_loss);
            window = 0;
        }
    }
    model->eval();
    result.seconds = clock.seconds();
    return result;
}

}  // namespace aha::rl
