// Batched sampling with a KV cache; see sampler.h.
#include "rollout/sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/random.h"
#include "rollout/sampling_kernel.h"

namespace aha::rollout {

SamplingParams SamplingParams::from_json(ConfigReader r) {
    SamplingParams p;
    r.read("n", p.n)
        .read("stop", p.stop)
        .read("stop_token_ids", p.stop_token_ids)
        .read("ignore_eos", p.ignore_eos)
        .read("logprobs", p.logprobs)
        .read("temperature", p.temperature)
        .read("max_new_tokens", p.max_new_tokens)
        .read("top_k", p.top_k)
        .read("top_p", p.top_p)
        .read("min_p", p.min_p)
        .read("seed", p.seed);
    r.finish();
    return p;
}

Json SamplingParams::to_json() const {
    return {{"n", n},
            {"temperature", temperature},
            {"max_new_tokens", max_new_tokens},
            {"top_k", top_k},
            {"top_p", top_p},
            {"min_p", min_p},
            {"stop", stop},
            {"stop_token_ids", stop_token_ids},
            {"ignore_eos", ignore_eos},
            {"logprobs", logprobs},
            {"seed", seed}};
}

void SamplingParams::validate(const std::string& path) const {
    config_require(n >= 1, path + ".n", "expected >= 1");
    config_require(temperature >= 0.0, path + ".temperature", "expected >= 0 (0 = greedy)");
    for (size_t i = 0; i < stop.size(); ++i) {
        config_require(!stop[i].empty(), path + ".stop[" + std::to_string(i) + "]", "expected a non-empty string");
    }
    for (size_t i = 0; i < stop_token_ids.size(); ++i) {
        config_require(stop_token_ids[i] >= 0, path + ".stop_token_ids[" + std::to_string(i) + "]", "expected >= 0");
    }
    config_require(max_new_tokens >= 1, path + ".max_new_tokens", "expected >= 1");
    config_require(top_k >= 0, path + ".top_k", "expected >= 0 (0 = off)");
    config_require(top_p > 0.0 && top_p <= 1.0, path + ".top_p", "expected in (0, 1] (1 = off)");
    config_require(min_p >= 0.0 && min_p <= 1.0, path + ".min_p", "expected in [0, 1] (0 = off)");
    config_require(!(temperature == 0.0 && (top_k > 0 || top_p < 1.0 || min_p > 0.0)),
                   path,
                   "top_k/top_p/min_p have no effect with temperature 0 (greedy); turn them off");
}

std::vector<int> Rollout::completion(int64_t i) const {
    auto ids = completion_ids[i].masked_select(completion_valid[i]);
    return std::vector<int>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
}

std::pair<torch::Tensor, torch::Tensor> left_pad(const std::vector<std::vector<int>>& rows, int pad_id) {
    int64_t width = 0;
    for (const auto& r : rows) width = std::max<int64_t>(width, static_cast<int64_t>(r.size()));
    const int64_t n = static_cast<int64_t>(rows.size());
    auto ids = torch::full({n, width}, pad_id, torch::kLong);
    auto valid = torch::zeros({n, width}, torch::kBool);
    auto id_acc = ids.accessor<int64_t, 2>();
    auto valid_acc = valid.accessor<bool, 2>();
    for (int64_t i = 0; i < n; ++i) {
        int64_t offset = width - static_cast<int64_t>(rows[i].size());
        for (size_t j = 0; j < rows[i].size(); ++j) {
            id_acc[i][offset + j] = rows[i][j];
            valid_acc[i][offset + j] = true;
        }
    }
    return {ids, valid};
}

namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

// Keeps the k largest logits (ties at the k-th value kept too).
class TopK : public SamplerStage {
 public:
    explicit TopK(int k) : k_(k) {}
    torch::Tensor apply(const torch::Tensor& logits) const override {
        if (k_ >= logits.size(-1)) return logits;
        auto kth = std::get<0>(logits.topk(k_, -1)).narrow(-1, k_ - 1, 1);  // [N, 1]
        return logits.masked_fill(logits < kth, kMinusInf);
    }

 private:
    int k_;
};

// Keeps the smallest set of most likely tokens whose probability reaches p (the first always stays).
class TopP : public SamplerStage {
 public:
    explicit TopP(double p) : p_(p) {}
    torch::Tensor apply(const torch::Tensor& logits) const override {
        auto [sorted, order] = logits.sort(-1, /*descending=*/true);                  // [N, V]
        auto probs = sorted.softmax(-1);                                               // [N, V]
        auto drop_sorted = (probs.cumsum(-1) - probs) >= p_;                           // [N, V]
        auto drop = torch::zeros_like(drop_sorted).scatter(-1, order, drop_sorted);    // [N, V]
        return logits.masked_fill(drop, kMinusInf);
    }

 private:
    double p_;
};

// Keeps tokens whose probability is at least min_p times the most likely token's (Nguyen et al. 2024).
class MinP : public SamplerStage {
 public:
    explicit MinP(double p) : p_(p) {}
    torch::Tensor apply(const torch::Tensor& logits) const override {
        auto probs = logits.softmax(-1);                                               // [N, V]
        auto threshold = std::get<0>(probs.max(-1, /*keepdim=*/true)) * p_;            // [N, 1]
        return logits.masked_fill(probs < threshold, kMinusInf);
    }

 private:
    double p_;
};

torch::Tensor filtered_logits(const torch::Tensor& logits, const SamplingParams& params) {
    auto scaled = logits.to(torch::kFloat32) / params.temperature;  // [N, V]
    for (const auto& stage : sampler_chain(params)) scaled = stage->apply(scaled);
    return scaled;
}

}  // namespace

std::vector<std::unique_ptr<SamplerStage>> sampler_chain(const SamplingParams& params) {
    std::vector<std::unique_ptr<SamplerStage>> chain;
    if (params.top_k > 0) chain.push_back(std::make_unique<TopK>(params.top_k));
    if (params.top_p < 1.0) chain.push_back(std::make_unique<TopP>(params.top_p));
    if (params.min_p > 0.0) chain.push_back(std::make_unique<MinP>(params.min_p));
    return chain;
}

torch::Tensor sampling_distribution(const torch::Tensor& logits, const SamplingParams& params) {
    if (params.temperature == 0.0) {
        return torch::zeros_like(logits, torch::kFloat32).scatter_(-1, logits.argmax(-1, /*keepdim=*/true), 1.0);
    }
    return filtered_logits(logits, params).softmax(-1);
}

torch::Tensor sample_next(const torch::Tensor& logits, const SamplingParams& params, torch::Generator& gen) {
    if (params.temperature == 0.0) return logits.argmax(-1);
    return torch::multinomial(filtered_logits(logits, params).softmax(-1), 1, /*replacement=*/false, gen).squeeze(-1);  // [N]
}

namespace {

bool fused_applies(const torch::Tensor& logits, const SamplingParams& params) {
    return logits.device().is_cpu() && logits.scalar_type() == torch::kFloat32 && logits.dim() == 2 &&
           (params.top_k == 0 || params.top_k >= logits.size(1)) && params.top_p >= 1.0 && params.min_p == 0.0;
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> sample_with_logprobs(const torch::Tensor& logits,
                                                             const SamplingParams& params,
                                                             const torch::Tensor& u,
                                                             const torch::Tensor& rows) {
    if (!fused_applies(logits, params)) {
        auto x = rows.defined() ? logits.index_select(0, rows.to(logits.device())) : logits;
        auto tokens = sample_with_uniforms(x, params, u);
        return {tokens, chosen_logprobs(x, params, tokens)};
    }
    auto x = logits.contiguous();
    auto draws = u.to(torch::kFloat64).contiguous();
    auto which = rows.defined() ? rows.to(torch::kLong).contiguous() : torch::arange(x.size(0));
    const int64_t N = which.size(0);
    TORCH_CHECK(draws.size(0) == N, "sample_with_logprobs: one uniform per row");
    TORCH_CHECK(N == 0 || (which.min().item<int64_t>() >= 0 && which.max().item<int64_t>() < x.size(0)),
                "sample_with_logprobs: row index out of range");
    auto tokens = torch::empty({N}, torch::kLong);
    auto logprobs = torch::empty({N}, torch::kFloat32);
    sample_rows_fused(x.data_ptr<float>(), which.data_ptr<int64_t>(), N, x.size(1), draws.data_ptr<double>(),
                      params.temperature, tokens.data_ptr<int64_t>(), logprobs.data_ptr<float>());
    return {tokens, logprobs};
}

torch::Tensor sample_with_uniforms(const torch::Tensor& logits, const SamplingParams& params, const torch::Tensor& u) {
    if (fused_applies(logits, params)) return sample_with_logprobs(logits, params, u).first;
    if (params.temperature == 0.0) return logits.argmax(-1);
    auto cdf = filtered_logits(logits, params).softmax(-1).to(torch::kFloat64).cumsum(-1);     // [N, V]
    auto target = (u.to(torch::kFloat64) * cdf.select(1, cdf.size(1) - 1)).unsqueeze(1);      // [N, 1]
    return torch::searchsorted(cdf, target, /*out_int32=*/false, /*right=*/true).squeeze(1).clamp_max(cdf.size(1) - 1);
}

torch::Tensor chosen_logprobs(const torch::Tensor& logits, const SamplingParams& params, const torch::Tensor& tokens) {
    auto scaled = logits.to(torch::kFloat32) / (params.temperature > 0 ? params.temperature : 1.0);  // [N, V]
    return scaled.gather(-1, tokens.unsqueeze(-1)).squeeze(-1) - scaled.logsumexp(-1);              // [N]
}

double stream_uniform(uint64_t seed, uint64_t sample, uint64_t step) {
    const uint64_t h = splitmix64(splitmix64(splitmix64(seed) ^ sample) ^ step);
    return static_cast<double>(h >> 11) * 0x1.0p-53;
}

int64_t request_seed(int64_t base, int64_t index) {
    return static_cast<int64_t>(splitmix64(splitmix64(static_cast<uint64_t>(base)) ^ static_cast<uint64_t>(index)) >> 1);
}

Rollout generate(policy::CausalLM& model,
                 const std::vector<std::vector<int>>& prompts,
                 const SamplingParams& params,
                 int eos_id,
                 int pad_id) {
    return generate(model, prompts, params, eos_id >= 0 ? std::vector<int>{eos_id} : std::vector<int>{}, pad_id);
}

Rollout generate(policy::CausalLM& model,
                 const std::vector<std::vector<int>>& prompts,
                 const SamplingParams& params,
                 const std::vector<int>& stop_ids,
                 int pad_id) {
    params.validate("sampling");
    TORCH_CHECK(!prompts.empty(), "generate: no prompts");
    torch::NoGradGuard no_grad;
    auto device = model->parameters().front().device();
    auto dtype = model->parameters().front().scalar_type();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(params.seed));

    Rollout out;
    std::tie(out.prompt_ids, out.prompt_valid) = left_pad(prompts, pad_id);
    const int64_t N = out.prompt_ids.size(0), P = out.prompt_ids.size(1), C = params.max_new_tokens;
    TORCH_CHECK(P + C <= model->config().max_position,
                "prompt (", P, ") + max_new_tokens (", C, ") exceeds the model's max_position ", model->config().max_position);
    auto cache = policy::KVCache::allocate(model->config(), N, P + C, torch::TensorOptions().dtype(dtype).device(device));

    auto ids = out.prompt_ids.to(device), valid = out.prompt_valid.to(device);
    auto logits = model->forward(ids, policy::positions_from_mask(valid), valid, &cache).select(1, P - 1);  // [N, V]
    auto next_pos = valid.sum(1, /*keepdim=*/true);                                                         // [N, 1]

    auto completion = torch::full({N, C}, pad_id, torch::kLong);
    auto completion_valid = torch::zeros({N, C}, torch::kBool);
    auto logprobs = torch::zeros({N, C}, torch::kFloat32);
    auto finished = torch::zeros({N}, torch::kBool);
    int64_t steps = 0;
    const double lp_temperature = params.temperature > 0 ? params.temperature : 1.0;
    const auto stops = torch::tensor(std::vector<int64_t>(stop_ids.begin(), stop_ids.end()), torch::kLong);
    for (int64_t t = 0; t < C; ++t) {
        auto logits_cpu = logits.to(torch::kCPU, torch::kFloat32);
        auto token = sample_next(logits_cpu, params, gen);                                          // [N]
        auto lp = (logits_cpu / lp_temperature).log_softmax(-1).gather(-1, token.unsqueeze(-1)).squeeze(-1);
        auto live = finished.logical_not();                                                         // [N]
        completion.select(1, t).copy_(token.masked_fill(finished, pad_id));
        completion_valid.select(1, t).copy_(live);
        logprobs.select(1, t).copy_(lp.masked_fill(finished, 0.0));
        if (stops.numel() > 0) finished = finished | torch::isin(token, stops);
        steps = t + 1;
        if (finished.all().item<bool>() || t + 1 == C) break;
        auto fed = completion.select(1, t).unsqueeze(1).to(device);                                 // [N, 1]
        logits = model->forward(fed, next_pos, live.unsqueeze(1).to(device), &cache).select(1, 0);
        next_pos = next_pos + 1;
    }
    out.completion_ids = completion.narrow(1, 0, steps);
    out.completion_valid = completion_valid.narrow(1, 0, steps);
    out.logprobs = logprobs.narrow(1, 0, steps);
    return out;
}

}  // namespace aha::rollout
