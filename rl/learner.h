// The learner stage of an RL step: the policy's optimizer (AdamW over fp32 master copies of low-precision
// weights), gradient accumulation over micro-batches, clipping, MoE balancing, and the frozen reference.
// Its TrainState is everything a resumed run needs besides the weights.
#pragma once

#include <memory>
#include <vector>

#include "rl/batch.h"
#include "rl/grpo_config.h"
#include "rl/step_data.h"

namespace aha::rl {

// What persists from one optimizer step to the next, besides the policy's weights.
struct TrainState {
    int step = 0;              // RL steps completed
    int64_t optimizer_steps = 0;
};

class Learner {
 public:
    // Checks that the MoE controls fit the policy; keeps a frozen copy as the reference when kl_coef > 0.
    Learner(policy::CausalLM policy, const GrpoConfig& config);

    // The PPO-style update on one batch at learning rate `lr`; fills the loss, KL, clip, entropy, grad and
    // MoE metrics.
    void learn(const Batch& batch, double lr, StepMetrics& m);

    policy::CausalLM& policy() { return policy_; }
    policy::CausalLMImpl* reference() { return reference_.get(); }
    TrainState& state() { return state_; }

    // The optimizer's state (AdamW moments and step counts per parameter), the fp32 masters of a
    // low-precision policy and the TrainState, in one file (LibTorch's archive format). Together with the
    // policy's weights this is all a resumed run needs: a learner built on the same weights and config
    // that loads it continues bitwise as the saved one would have. load_state checks that the file fits
    // this learner (parameter count and shapes, masters or not) and names the file in every error.
    void save_state(const std::string& path) const;
    void load_state(const std::string& path);

 private:
    struct Sums;
    // Forward and backward of one mini-batch, micro-batch by micro-batch; the gradients accumulate.
    // Returns the mini-batch's loss.
    double accumulate(const Batch& batch, const MiniBatch& mini, Sums& sums);
    // Clips, steps the optimizer and copies fp32 masters back into the policy; returns the grad norm.
    double optimizer_step();
    // After an optimizer step: the load balance (max/mean, averaged over MoE layers; 0 when dense) of the
    // forwards since the last call, then the aux-loss-free bias update, then a load reset.
    double moe_step();

    policy::CausalLM policy_;
    std::shared_ptr<policy::CausalLMImpl> reference_;
    GrpoConfig config_;
    std::unique_ptr<torch::optim::AdamW> optimizer_;
    // fp32 master copies of low-precision (bf16/fp16) policy weights; the optimizer updates these and the
    // policy gets them rounded after each step. Empty for fp32 policies.
    std::vector<torch::Tensor> master_;
    TrainState state_;
};

}  // namespace aha::rl
