// The learner stage; see learner.h.
#include "rl/learner.h"

#include <cmath>

#include "core/files.h"

#include "rl/losses.h"
#include "rl/rollout_forward.h"

namespace aha::rl {

namespace {

void check_moe_controls(const GrpoConfig& config, const policy::TransformerConfig& arch) {
    if (config.moe.bias_update_rate > 0 && !arch.moe.correction_bias) {
        throw ConfigError("rl.moe.bias_update_rate: the policy (" + arch.model_type +
                          ") has no router correction bias to update; expected 0");
    }
    if (config.moe.aux_loss_coef > 0 && !arch.is_moe()) {
        throw ConfigError("rl.moe.aux_loss_coef: the policy (" + arch.model_type + ") is not a mixture of experts; expected 0");
    }
}

}  // namespace

Learner::Learner(policy::CausalLM policy, const GrpoConfig& config) : policy_(std::move(policy)), config_(config) {
    check_moe_controls(config_, policy_->config());
    if (config_.loss.kl_coef > 0) {
        reference_ = std::dynamic_pointer_cast<policy::CausalLMImpl>(policy_->clone());
        for (auto& p : reference_->parameters()) p.set_requires_grad(false);
        reference_->eval();
    }
    policy_->set_gradient_checkpointing(config_.gradient_checkpointing);
    policy_->set_aux_loss(config_.moe.aux_loss_coef > 0, config_.moe.aux_loss_scope == "sequence");
    std::vector<torch::Tensor> trained = policy_->parameters();
    if (trained.front().scalar_type() != torch::kFloat32) {
        for (const auto& p : trained) master_.push_back(p.detach().to(torch::kFloat32).requires_grad_(true));
        trained = master_;
    }
    optimizer_ = std::make_unique<torch::optim::AdamW>(
        trained,
        torch::optim::AdamWOptions(config_.learning_rate)
            .betas({config_.adam_beta1, config_.adam_beta2})
            .weight_decay(config_.weight_decay));
}

namespace {

constexpr int64_t kStateFormat = 1;

int64_t scalar_of(torch::serialize::InputArchive& archive, const std::string& key) {
    torch::Tensor t;
    archive.read(key, t);
    return t.item<int64_t>();
}

}  // namespace

void Learner::save_state(const std::string& path) const {
    torch::serialize::OutputArchive archive, optimizer;
    optimizer_->save(optimizer);
    archive.write("optimizer", optimizer);
    archive.write("format", torch::tensor(kStateFormat));
    archive.write("step", torch::tensor(int64_t{state_.step}));
    archive.write("optimizer_steps", torch::tensor(state_.optimizer_steps));
    archive.write("masters", torch::tensor(static_cast<int64_t>(master_.size())));
    for (size_t i = 0; i < master_.size(); ++i) archive.write("master." + std::to_string(i), master_[i].detach(), /*is_buffer=*/true);
    try {
        archive.save_to(path);
    } catch (const c10::Error& e) {
        throw IoError(path + ": cannot write the trainer state (" + e.what_without_backtrace() + ")");
    }
}

void Learner::load_state(const std::string& path) {
    if (!file_exists(path)) throw IoError(path + ": no trainer state there");
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path);
        const int64_t format = scalar_of(archive, "format");
        if (format != kStateFormat) {
            throw FormatError(path + ": trainer state format " + std::to_string(format) + "; this aha reads format " +
                              std::to_string(kStateFormat));
        }
        const int64_t masters = scalar_of(archive, "masters");
        if (masters != static_cast<int64_t>(master_.size())) {
            throw FormatError(path + ": the state has " + std::to_string(masters) + " fp32 master weights; this run's policy needs " +
                              std::to_string(master_.size()) + " (was it saved with another dtype?)");
        }
        torch::NoGradGuard no_grad;
        for (size_t i = 0; i < master_.size(); ++i) {
            torch::Tensor t;
            archive.read("master." + std::to_string(i), t, /*is_buffer=*/true);
            if (!t.sizes().equals(master_[i].sizes()) || t.scalar_type() != torch::kFloat32) {
                throw FormatError(path + ": master weight " + std::to_string(i) + " has shape " + c10::str(t.sizes()) + "; the policy's is " +
                                  c10::str(master_[i].sizes()));
            }
            master_[i].copy_(t);
        }
        torch::serialize::InputArchive optimizer;
        archive.read("optimizer", optimizer);
        optimizer_->load(optimizer);
        // The moments must belong to these parameters, one by one.
        const auto& params = optimizer_->param_groups().front().params();
        for (size_t i = 0; i < params.size(); ++i) {
            auto it = optimizer_->state().find(params[i].unsafeGetTensorImpl());
            if (it == optimizer_->state().end()) continue;
            const auto& moment = static_cast<const torch::optim::AdamWParamState&>(*it->second).exp_avg();
            if (!moment.sizes().equals(params[i].sizes())) {
                throw FormatError(path + ": optimizer moment " + std::to_string(i) + " has shape " + c10::str(moment.sizes()) +
                                  "; the parameter's is " + c10::str(params[i].sizes()));
            }
        }
        state_.step = static_cast<int>(scalar_of(archive, "step"));
        state_.optimizer_steps = scalar_of(archive, "optimizer_steps");
    } catch (const c10::Error& e) {
        throw FormatError(path + ": not a complete trainer state (" + e.what_without_backtrace() + ")",
                          "the checkpoint is damaged; resume from an older one");
    }
}

struct Learner::Sums {
    double clipped = 0, clipped_low = 0, clipped_high = 0, kl = 0, entropy = 0, approx_kl = 0, tokens = 0;
    double loss = 0, grad = 0, balance = 0, aux = 0;
    int updates = 0;
};

double Learner::accumulate(const Batch& b, const MiniBatch& mini, Sums& sums) {
    const double temperature = config_.sampling.temperature;
    double mini_loss = 0;
    for (const auto& rows : mini.micro) {
        TokenOutputs t = rows_forward(*policy_, b.rollout, rows, b.loss_mask, temperature);
        auto cols = [&](const torch::Tensor& v) { return v.index_select(0, rows).narrow(1, 0, t.width); };
        PolicyLossInput in;
        in.logprobs = t.logprobs;
        in.entropy = t.entropy;
        in.old_logprobs = cols(b.old_logprobs);
        in.advantages = b.advantages.index_select(0, rows);
        in.mask = cols(b.loss_mask);
        if (b.ref_logprobs.defined()) in.ref_logprobs = cols(b.ref_logprobs);
        if (b.is_weights.defined()) in.is_weights = cols(b.is_weights);
        PolicyLossOutput out = policy_loss(config_.loss, in, mini.norm);
        torch::Tensor total = out.loss;
        if (config_.moe.aux_loss_coef > 0) {
            // Each micro-batch's balance loss weighted by its share of the mini-batch's rows.
            const double share = static_cast<double>(rows.size(0)) / mini.rows.size(0);
            torch::Tensor aux = policy_->aux_loss();
            sums.aux += share * aux.item<double>();
            total = total + config_.moe.aux_loss_coef * share * aux;
        }
        total.backward();
        mini_loss += out.loss.item<double>();
        sums.clipped += out.clipped_tokens;
        sums.clipped_low += out.clipped_low;
        sums.clipped_high += out.clipped_high;
        sums.kl += out.kl_sum;
        sums.entropy += out.entropy_sum;
        sums.approx_kl += out.approx_kl_sum;
    }
    return mini_loss;
}

double Learner::optimizer_step() {
    auto params = policy_->parameters();
    if (!master_.empty()) {
        for (size_t i = 0; i < params.size(); ++i) {
            if (!params[i].grad().defined()) continue;
            master_[i].mutable_grad() = params[i].grad().to(torch::kFloat32);
            params[i].mutable_grad() = torch::Tensor();  // released as it is copied: the peak holds one copy
        }
    }
    const auto& trained = master_.empty() ? params : master_;
    double grad_norm = config_.max_grad_norm > 0 ? torch::nn::utils::clip_grad_norm_(trained, config_.max_grad_norm) : 0.0;
    if (!std::isfinite(grad_norm)) {
        // A NaN/inf gradient never reaches the weights or the moments (as verl skips such a step); the
        // metric keeps the non-finite norm, which the run's watchdog reports.
        optimizer_->zero_grad();
        for (auto& p : params) p.mutable_grad() = torch::Tensor();
        return grad_norm;
    }
    optimizer_->step();
    if (!master_.empty()) {
        torch::NoGradGuard no_grad;
        for (size_t i = 0; i < params.size(); ++i) params[i].copy_(master_[i]);
    }
    ++state_.optimizer_steps;
    return grad_norm;
}

double Learner::moe_step() {
    auto loads = policy_->expert_load();
    if (loads.empty()) return 0.0;
    double balance = 0;
    for (const auto& l : loads) {
        const double mean = l.mean().item<double>();
        balance += mean > 0 ? l.max().item<double>() / mean : 0.0;
    }
    if (config_.moe.bias_update_rate > 0) policy_->update_routing_bias(config_.moe.bias_update_rate);
    policy_->reset_expert_load();
    return balance / loads.size();
}

void Learner::learn(const Batch& b, double lr, StepMetrics& m) {
    for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    policy_->train();
    policy_->reset_expert_load();
    Sums sums;
    auto params = policy_->parameters();
    for (const auto& epoch : b.epochs) {
        for (const auto& mini : epoch) {
            optimizer_->zero_grad();
            for (auto& p : params) p.mutable_grad() = torch::Tensor();  // with masters, the optimizer clears only those
            const double mini_loss = accumulate(b, mini, sums);
            sums.grad += optimizer_step();
            sums.balance += moe_step();
            sums.loss += mini_loss;
            sums.tokens += mini.loss_tokens;
            ++sums.updates;
        }
    }
    policy_->eval();
    const double per_token = 1.0 / std::max(1.0, sums.tokens);
    m.learning_rate = lr;
    m.expert_balance = sums.balance / sums.updates;
    m.aux_loss = sums.aux / sums.updates;
    m.loss = sums.loss / sums.updates;
    m.grad_norm = sums.grad / sums.updates;
    m.clip_fraction = sums.clipped * per_token;
    m.clip_fraction_low = sums.clipped_low * per_token;
    m.clip_fraction_high = sums.clipped_high * per_token;
    m.kl = sums.kl * per_token;
    m.entropy = sums.entropy * per_token;
    m.approx_kl = sums.approx_kl * per_token;
}

}  // namespace aha::rl
