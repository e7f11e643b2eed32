// The make_batch stage; see batch.h.
#include "rl/batch.h"

#include <ATen/CPUGeneratorImpl.h>

#include "rl/advantages.h"
#include "rl/rollout_forward.h"

namespace aha::rl {

namespace {

// The rewards the advantages are computed from: the shaped verifier rewards, less the KL penalty when it
// goes into the reward, permuted across the batch for the random-reward control.
torch::Tensor learning_rewards(const ScoredRollout& kept, const GrpoConfig& config, const BatchModels& models,
                               const StepSeeds& seeds, StepMetrics& m) {
    torch::Tensor rewards = kept.shaped;
    const auto& r = kept.rollout;
    if (models.reference && config.loss.kl_in_reward) {
        // The sampling policy's log-probs (recorded by the engine) against the reference's.
        auto ref = rollout_logprobs(*models.reference, r, row_tokens(r), config.micro_batch_tokens, config.sampling.temperature);
        auto penalty = kl_reward_penalty(config.loss, r.logprobs, ref, r.completion_valid);  // [N]
        m.kl_reward_penalty = penalty.mean().item<double>();
        rewards = rewards - penalty;
    }
    if (config.shuffle_rewards) {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(seeds.reward_shuffle);
        rewards = rewards.index_select(0, torch::randperm(kept.size(), gen));
    }
    return rewards;
}

torch::Tensor advantages_of(const torch::Tensor& rewards, const torch::Tensor& lengths, const GrpoConfig& config, StepMetrics& m) {
    AdvantageInput adv;
    adv.rewards = rewards;
    adv.group_size = config.group_size;
    adv.eps = config.advantage_eps;
    adv.scale = parse_reward_scale(config.scale_rewards, "rl.scale_rewards");
    adv.lengths = lengths;
    auto spread = rewards.view({-1, config.group_size}).std(1, false);
    m.zero_advantage_groups = (spread == 0).to(torch::kFloat32).mean().item<double>();
    return compute_advantages(config.advantage, adv);
}

// Rollout correction (rl.loss.tis): the trainer's own log-probs before this step's updates become the
// ratio's denominator, and the engine's enter only the IS weights.
void rollout_correction(Batch& b, const GrpoConfig& config, policy::CausalLMImpl& policy, const torch::Tensor& tokens,
                        StepMetrics& m) {
    const auto& r = b.rollout;
    policy.eval();
    b.old_logprobs = rollout_logprobs(policy, r, tokens, config.micro_batch_tokens, config.sampling.temperature);
    b.is_weights = rollout_is_weights(config.loss.tis, b.old_logprobs, r.logprobs, b.loss_mask);
    auto w = b.is_weights.masked_select(b.loss_mask);
    auto diff = (b.old_logprobs - r.logprobs).abs().masked_select(b.loss_mask);
    if (w.numel() == 0) return;
    m.is_weight_mean = w.mean().item<double>();
    m.is_weight_min = w.min().item<double>();
    m.is_weight_max = w.max().item<double>();
    m.rollout_logprob_diff_mean = diff.mean().item<double>();
    m.rollout_logprob_diff_max = diff.max().item<double>();
}

// Epochs of mini-batches: rows in order, or a fresh permutation each epoch when there are several
// mini-batches.
std::vector<std::vector<MiniBatch>> update_plan(const Batch& b, const GrpoConfig& config, const torch::Tensor& tokens,
                                                const StepSeeds& seeds) {
    const int64_t n = b.rollout.size();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seeds.minibatch_order);
    std::vector<std::vector<MiniBatch>> epochs;
    for (int epoch = 0; epoch < config.epochs; ++epoch) {
        auto order = config.mini_batches > 1 ? torch::randperm(n, gen) : torch::arange(n);
        std::vector<MiniBatch> minis;
        for (auto rows : order.chunk(config.mini_batches)) {
            MiniBatch mb;
            auto mask = b.loss_mask.index_select(0, rows);
            mb.rows = rows;
            mb.micro = micro_batches(rows, tokens, config.micro_batch_tokens);
            mb.norm = LossNormalizer::of(mask, config.sampling.max_new_tokens);
            mb.loss_tokens = mask.sum().item<double>();
            minis.push_back(std::move(mb));
        }
        epochs.push_back(std::move(minis));
    }
    return epochs;
}

}  // namespace

Batch make_batch(const ScoredRollout& kept, const GrpoConfig& config, const BatchModels& models, const StepSeeds& seeds,
                 StepMetrics& m) {
    torch::NoGradGuard no_grad;
    Batch b;
    b.rollout = kept.rollout;
    m.truncated_rate = kept.truncated.to(torch::kFloat32).mean().item<double>();
    b.advantages = advantages_of(learning_rewards(kept, config, models, seeds, m), kept.lengths, config, m);
    b.loss_mask = b.rollout.completion_valid;
    if (config.mask_truncated) b.loss_mask = b.loss_mask & kept.truncated.logical_not().unsqueeze(1);
    const auto tokens = row_tokens(b.rollout);
    b.old_logprobs = b.rollout.logprobs;
    if (models.reference && !config.loss.kl_in_reward) {
        b.ref_logprobs = rollout_logprobs(*models.reference, b.rollout, tokens, config.micro_batch_tokens,
                                          config.sampling.temperature);
    }
    if (config.loss.tis.enabled()) rollout_correction(b, config, models.policy, tokens, m);
    b.epochs = update_plan(b, config, tokens, seeds);
    return b;
}

}  // namespace aha::rl
