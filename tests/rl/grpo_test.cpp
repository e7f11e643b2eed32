// Short end-to-end GRPO runs (seconds): the loss stays finite and the reward of a trivially learnable task
// goes up; the training forward reproduces the sampler's log-probs.
#include "rl/grpo.h"

#include "policy/char_tokenizer.h"

#include <gtest/gtest.h>

#include <atomic>

#include "rl/advantages.h"
#include "tests/support/tiny_model.h"

namespace aha::rl {
namespace {

policy::CharTokenizer tokenizer() { return policy::CharTokenizer::for_alphabet("abcd?"); }

policy::CausalLM tiny_model(int vocab) { return testing::tiny_model(vocab); }

GrpoConfig small_config() {
    GrpoConfig c;
    c.prompts_per_step = 4;
    c.group_size = 8;
    c.learning_rate = 3e-3;
    c.sampling.max_new_tokens = 4;
    c.sampling.seed = 1;
    return c;
}

// Reward 1 when the completion starts with the expected character: learnable in a few steps.
verifiers::VerifierResult starts_with(const std::string& completion, const PromptItem& item) {
    verifiers::VerifierResult r;
    bool ok = completion.rfind(item.answer, 0) == 0;
    r.verdict = ok ? verifiers::Verdict::kCorrect : verifiers::Verdict::kWrong;
    r.reward = ok ? 1.0 : 0.0;
    return r;
}

TEST(GrpoEndToEndTest, RewardOfATriviallyLearnableTaskGoesUp) {
    auto tok = tokenizer();
    GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), small_config(), starts_with);
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    double first = 0, last = 0;
    for (int step = 1; step <= 30; ++step) {
        StepMetrics m = trainer.step(items, step);
        ASSERT_TRUE(std::isfinite(m.loss)) << "step " << step;
        ASSERT_TRUE(std::isfinite(m.grad_norm)) << "step " << step;
        // Rewards are 0/1 here, so a group with no spread is all correct or all wrong.
        EXPECT_NEAR(m.all_correct_groups + m.all_wrong_groups, m.zero_advantage_groups, 1e-9) << "step " << step;
        EXPECT_NEAR(m.clip_fraction, m.clip_fraction_low + m.clip_fraction_high, 1e-9) << "step " << step;
        EXPECT_GE(m.completion_length_max, m.completion_length);
        if (step <= 5) first += m.reward_mean / 5;
        if (step > 25) last += m.reward_mean / 5;
    }
    EXPECT_GT(last, first + 0.3) << "first " << first << " last " << last;
}

// Every policy loss (with dr_grpo advantages) and every advantage estimator (with ppo_clip) learns the
// trivially learnable task too. passk learns slower by design: with 0/1 rewards only a group with exactly
// one correct completion gets any signal.
TEST(GrpoEndToEndTest, EveryLossAndEveryEstimatorLearns) {
    auto tok = tokenizer();
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    std::vector<std::pair<std::string, std::string>> runs;
    for (const auto& loss : policy_loss_names()) runs.emplace_back(loss, "dr_grpo");
    for (const auto& adv : advantage_names()) runs.emplace_back("ppo_clip", adv);
    for (const auto& [loss, adv] : runs) {
        GrpoConfig c = small_config();
        c.loss.name = loss;
        c.advantage = adv;
        GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
        double first = 0, last = 0;
        for (int step = 1; step <= 30; ++step) {
            StepMetrics m = trainer.step(items, step);
            ASSERT_TRUE(std::isfinite(m.loss)) << loss << " " << adv << " step " << step;
            if (step <= 5) first += m.reward_mean / 5;
            if (step > 25) last += m.reward_mean / 5;
        }
        const double margin = adv == "passk" ? 0.2 : 0.3;
        EXPECT_GT(last, first + margin) << loss << " " << adv << ": first " << first << " last " << last;
    }
}

TEST(GrpoEndToEndTest, TheOptimizerFollowsTheLearningRateSchedule) {
    auto tok = tokenizer();
    GrpoConfig c = small_config();
    c.steps = 4;
    c.lr_schedule = LrSchedule{"cosine", 2, 0.0};
    GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    // Steps 1-2 warm up (peak / 2, peak), 3 starts the cosine at the peak, 4 is half-way.
    const std::vector<double> want = {c.learning_rate / 2, c.learning_rate, c.learning_rate, c.learning_rate / 2};
    for (int step = 1; step <= 4; ++step) {
        EXPECT_NEAR(trainer.step(items, step).learning_rate, want[step - 1], 1e-12) << "step " << step;
    }
}

TEST(GrpoEndToEndTest, OverlongShapingAndTruncationMasking) {
    auto tok = tokenizer();
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    // The toy model rarely ends before 4 tokens: with a buffer of 3, a 4-token completion loses 1/3
    // per token over 1, so the shaped mean reward sits below the accuracy.
    GrpoConfig c = small_config();
    c.overlong = OverlongConfig{3, 1.0};
    GrpoTrainer plain(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    StepMetrics all_rows = plain.step(items, 1);
    ASSERT_GT(all_rows.truncated_rate, 0.0);
    ASSERT_LT(all_rows.truncated_rate, 1.0);
    EXPECT_LT(all_rows.reward_mean, all_rows.accuracy);
    // The same weights and seeds sample the same completions; masking the truncated ones changes
    // which tokens the loss sees.
    c.mask_truncated = true;
    GrpoTrainer masked(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    StepMetrics kept = masked.step(items, 1);
    EXPECT_EQ(kept.truncated_rate, all_rows.truncated_rate);
    EXPECT_EQ(kept.reward_mean, all_rows.reward_mean);
    EXPECT_TRUE(std::isfinite(kept.loss));
    EXPECT_GT(std::abs(kept.loss - all_rows.loss), 1e-6);
}

TEST(GrpoEndToEndTest, TruncatedRewardReplacesTheVerifiersOnTruncatedCompletionsOnly) {
    auto tok = tokenizer();
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    GrpoConfig c = small_config();
    GrpoTrainer plain(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    StepMetrics verifier = plain.step(items, 1);
    ASSERT_GT(verifier.truncated_rate, 0.0);
    ASSERT_LT(verifier.truncated_rate, 1.0);
    c.truncated_reward = -1.0;
    GrpoTrainer capped(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    StepMetrics m = capped.step(items, 1);
    const ScoredRollout& s = capped.last_kept();
    // The same weights and seeds sample the same completions; only the truncated ones' rewards change.
    EXPECT_EQ(m.truncated_rate, verifier.truncated_rate);
    EXPECT_EQ(m.accuracy, verifier.accuracy);  // accuracy is still the verifier's verdict
    double sum = 0;
    for (int64_t i = 0; i < s.size(); ++i) {
        const double want = s.truncated[i].item<bool>() ? -1.0 : s.results[static_cast<size_t>(i)].reward;
        EXPECT_EQ(s.shaped[i].item<float>(), static_cast<float>(want)) << "completion " << i;
        EXPECT_EQ(s.rewards[i].item<float>(), static_cast<float>(s.results[static_cast<size_t>(i)].reward));
        sum += want;
    }
    EXPECT_NEAR(m.reward_mean, sum / s.size(), 1e-6);
    EXPECT_LT(m.reward_mean, verifier.reward_mean);
    // The key reads a number or null (the verifier's reward) and writes it back the same way.
    GrpoConfig read = GrpoConfig::from_json(ConfigReader(Json{{"truncated_reward", 0}}, "rl"));
    ASSERT_TRUE(read.truncated_reward.has_value());
    EXPECT_EQ(*read.truncated_reward, 0.0);
    EXPECT_EQ(read.to_json()["truncated_reward"], 0.0);
    EXPECT_FALSE(GrpoConfig::from_json(ConfigReader(Json{{"truncated_reward", nullptr}}, "rl")).truncated_reward.has_value());
    EXPECT_TRUE(GrpoConfig().to_json()["truncated_reward"].is_null());
    EXPECT_THROW(GrpoConfig::from_json(ConfigReader(Json{{"truncated_reward", "zero"}}, "rl")), ConfigError);
}

TEST(GrpoEndToEndTest, KlInTheRewardIsSubtractedFromEachCompletion) {
    auto tok = tokenizer();
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    GrpoConfig c = small_config();
    c.learning_rate = 3e-2;
    c.loss.kl_coef = 0.5;
    c.loss.kl_in_reward = true;
    GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    double last_penalty = 0;
    for (int step = 1; step <= 6; ++step) {
        StepMetrics m = trainer.step(items, step);
        // reward_mean is the verifier's 0/1 reward, before the penalty; no KL term enters the loss.
        EXPECT_NEAR(m.reward_mean, m.accuracy, 1e-6) << "step " << step;
        EXPECT_EQ(m.kl, 0.0);
        if (step == 1) {
            EXPECT_LT(m.kl_reward_penalty, 1e-4);  // the policy still is the reference
        }
        last_penalty = m.kl_reward_penalty;
    }
    EXPECT_GT(last_penalty, 1e-4);  // it has moved away since
}

TEST(GrpoEndToEndTest, ShuffledRewardControlDoesNotLearn) {
    auto tok = tokenizer();
    GrpoConfig c = small_config();
    c.shuffle_rewards = true;
    GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    double first = 0, last = 0;
    for (int step = 1; step <= 30; ++step) {
        StepMetrics m = trainer.step(items, step);
        if (step <= 5) first += m.reward_mean / 5;
        if (step > 25) last += m.reward_mean / 5;
    }
    EXPECT_LT(last, first + 0.15) << "first " << first << " last " << last;
}

TEST(GrpoEndToEndTest, NamedRewardAndKlPathRunAndAreFinite) {
    auto tok = tokenizer();
    GrpoConfig c = small_config();
    c.loss.kl_coef = 0.05;
    c.advantage = "grpo";
    c.epochs = 2;
    c.mini_batches = 2;
    GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c);
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "c"}, {"<bos>?c", "d"}, {"<bos>?d", "a"}};
    for (int step = 1; step <= 3; ++step) {
        StepMetrics m = trainer.step(items, step);
        EXPECT_TRUE(std::isfinite(m.loss));
        EXPECT_GE(m.kl, 0.0);
        EXPECT_GE(m.clip_fraction, 0.0);
        EXPECT_LE(m.clip_fraction, 1.0);
        EXPECT_GT(m.completion_length, 0.0);
    }
}

// A DeepSeek-V3-style MoE policy in bf16 with fp32 master weights, activation checkpointing, aux-loss-free
// balancing and the balance loss: it still learns, and every MoE control does what it says.
TEST(GrpoEndToEndTest, MoePolicyInBf16WithMasterWeightsLearns) {
    auto tok = tokenizer();
    policy::CausalLM model = testing::tiny_deepseek_v3_moe(tok.vocab_size());
    model->to(torch::kBFloat16);
    GrpoConfig c = small_config();
    c.gradient_checkpointing = true;
    c.moe.bias_update_rate = 1e-3;
    c.moe.aux_loss_coef = 0.01;
    GrpoTrainer trainer(model, tok.model_text(), c, starts_with);
    auto bias_before = model->moe_layers()[0]->gate->e_score_correction_bias.clone();
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    double first = 0, last = 0;
    for (int step = 1; step <= 30; ++step) {
        StepMetrics m = trainer.step(items, step);
        ASSERT_TRUE(std::isfinite(m.loss)) << "step " << step;
        ASSERT_GE(m.expert_balance, 1.0) << "step " << step;
        ASSERT_GT(m.aux_loss, 0.0) << "step " << step;
        if (step <= 5) first += m.reward_mean / 5;
        if (step > 25) last += m.reward_mean / 5;
    }
    EXPECT_GT(last, first + 0.3) << "first " << first << " last " << last;
    EXPECT_EQ(model->parameters().front().scalar_type(), torch::kBFloat16);
    EXPECT_FALSE(torch::equal(model->moe_layers()[0]->gate->e_score_correction_bias, bias_before));
}

TEST(GrpoConfigTest, MoeControlsMustFitThePolicy) {
    auto tok = tokenizer();
    GrpoConfig c = small_config();
    c.moe.bias_update_rate = 1e-3;
    try {
        GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
        FAIL() << "expected an error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("rl.moe.bias_update_rate: the policy (llama) has no router correction bias"),
                  std::string::npos)
            << e.what();
    }
}

TEST(GrpoLogprobTest, TrainingForwardReproducesSamplerLogprobs) {
    auto tok = tokenizer();
    auto model = tiny_model(tok.vocab_size());
    rollout::Engine engine(model, GrpoConfig::default_engine(), {tok.eos_id()});
    rollout::SamplingParams s;
    s.max_new_tokens = 5;
    s.temperature = 0.8;
    s.top_p = 0.9;
    ScoredRollout sr = sample_and_score(engine, tok.model_text(), {{"<bos>?a", "b"}, {"<bos>?abc", "c"}}, 4, s, starts_with);
    ASSERT_EQ(sr.rollout.size(), 8);
    // Rows 0-3 are item 0's group: one prompt.
    EXPECT_TRUE(sr.rollout.prompt_ids[0].equal(sr.rollout.prompt_ids[3]));
    EXPECT_FALSE(sr.rollout.prompt_ids[0].equal(sr.rollout.prompt_ids[4]));
    torch::NoGradGuard no_grad;
    auto lp = completion_logprobs(model, sr.rollout, 0.8);
    auto mask = sr.rollout.completion_valid;
    EXPECT_LT((lp - sr.rollout.logprobs).masked_select(mask).abs().max().item<double>(), 1e-5);
}

// Scoring on several threads gives the same results in the same order, and a failing reward surfaces.
TEST(GrpoScoringTest, ParallelScoringMatchesSequentialAndRethrows) {
    auto tok = tokenizer();
    auto model = tiny_model(tok.vocab_size());
    rollout::Engine engine(model, GrpoConfig::default_engine(), {tok.eos_id()});
    rollout::SamplingParams s;
    s.max_new_tokens = 5;
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?abc", "c"}, {"<bos>?b", "a"}};
    ScoredRollout one = sample_and_score(engine, tok.model_text(), items, 4, s, starts_with, 1);
    ScoredRollout four = sample_and_score(engine, tok.model_text(), items, 4, s, starts_with, 4);
    EXPECT_TRUE(one.rewards.equal(four.rewards));
    EXPECT_EQ(one.completions, four.completions);
    std::vector<std::atomic<int>> calls(100);
    parallel_for(100, 3, [&](int64_t i) { calls[static_cast<size_t>(i)]++; });
    for (const auto& c : calls) EXPECT_EQ(c.load(), 1);
    EXPECT_THROW(parallel_for(50, 3, [](int64_t i) {
                     if (i == 17) throw std::runtime_error("reward failed");
                 }),
                 std::runtime_error);
}

TEST(GrpoLogprobTest, TheTrainersEngineSamplesFromTheUpdatedWeights) {
    auto tok = tokenizer();
    GrpoConfig c = small_config();
    c.learning_rate = 3e-2;
    GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    auto before = std::dynamic_pointer_cast<policy::CausalLMImpl>(trainer.policy()->clone());
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    trainer.step(items, 1);
    ScoredRollout sr = sample_and_score(trainer.engine(), tok.model_text(), items, 4, c.sampling, starts_with);
    torch::NoGradGuard no_grad;
    auto mask = sr.rollout.completion_valid;
    auto now = completion_logprobs(trainer.policy(), sr.rollout, 1.0);
    policy::CausalLM old(before);
    auto then = completion_logprobs(old, sr.rollout, 1.0);
    EXPECT_LT((now - sr.rollout.logprobs).masked_select(mask).abs().max().item<double>(), 1e-5);
    EXPECT_GT((then - sr.rollout.logprobs).masked_select(mask).abs().max().item<double>(), 1e-3);
}

// Micro-batches by token count accumulate exactly the gradient of the whole batch: the loss normaliser
// is the mini-batch's, and trimming each micro-batch's padding changes nothing.
TEST(GrpoUpdateTest, MicroBatchesAccumulateTheWholeBatchGradient) {
    auto tok = tokenizer();
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?bcd", "b"}, {"<bos>?c", "b"}, {"<bos>?dd", "b"}};
    for (const std::string agg : {"token_mean", "seq_mean_token_mean"}) {
        std::vector<std::vector<torch::Tensor>> grads;
        std::vector<double> losses;
        for (int64_t micro : {0, 13}) {
            GrpoConfig c = small_config();
            c.max_grad_norm = 0;  // compare raw gradients
            c.loss.aggregation = agg;
            c.loss.entropy_coef = 0.01;
            c.loss.kl_coef = 0.05;
            c.micro_batch_tokens = micro;
            GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
            StepMetrics m = trainer.step(items, 1);
            losses.push_back(m.loss);
            grads.emplace_back();
            for (const auto& p : trainer.policy()->parameters()) grads.back().push_back(p.grad().clone());
        }
        EXPECT_NEAR(losses[0], losses[1], 1e-6) << agg;
        for (size_t i = 0; i < grads[0].size(); ++i) {
            EXPECT_TRUE(torch::allclose(grads[0][i], grads[1][i], 1e-4, 1e-6)) << agg << " parameter " << i;
        }
    }
}

// With rollout correction on, the trainer recomputes the old log-probs; the engine matches it, so the IS
// weights are 1 and the first update is exactly on-policy.
TEST(GrpoUpdateTest, RolloutCorrectionWeightsAreOneWhenEngineAndTrainerAgree) {
    auto tok = tokenizer();
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    for (const auto& mode : tis_mode_names()) {
        if (mode == "off") continue;
        GrpoConfig c = small_config();
        c.loss.tis.mode = mode;
        GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
        StepMetrics m = trainer.step(items, 1);
        EXPECT_NEAR(m.is_weight_mean, 1.0, 1e-4) << mode;
        EXPECT_NEAR(m.is_weight_min, 1.0, 1e-4) << mode;
        EXPECT_LT(m.rollout_logprob_diff_max, 1e-4) << mode;
        EXPECT_LT(m.approx_kl, 1e-8) << mode;
        EXPECT_GT(m.entropy, 0.1) << mode;
        EXPECT_LE(m.entropy, std::log(static_cast<double>(tok.vocab_size())) + 1e-6) << mode;
    }
}

// DAPO's dynamic sampling: groups that are all wrong (an answer no completion can start with) are
// dropped and more prompts are drawn until the batch holds prompts_per_step groups with a spread.
TEST(GrpoDynamicSamplingTest, DropsUniformGroupsAndSamplesMore) {
    auto tok = tokenizer();
    GrpoConfig c = small_config();
    c.dynamic_sampling.enabled = true;
    c.dynamic_sampling.max_rounds = 6;
    GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    int calls = 0;
    // Half of each round's prompts expect "z", which is not in the alphabet: always all wrong.
    auto source = [&](int count) {
        ++calls;
        std::vector<PromptItem> items;
        for (int i = 0; i < count; ++i) items.push_back(i % 2 == 0 ? PromptItem{"<bos>?a", "z"} : PromptItem{"<bos>?b", "b"});
        return items;
    };
    StepMetrics m = trainer.step(source, 1);
    EXPECT_EQ(m.trained_groups, c.prompts_per_step);
    EXPECT_EQ(m.zero_advantage_groups, 0.0);
    EXPECT_GE(m.dynamic_sampling_rounds, 2);
    EXPECT_EQ(calls, m.dynamic_sampling_rounds);
    EXPECT_LE(m.dynamic_sampling_kept, 0.5);
    EXPECT_GE(m.all_wrong_groups, 0.5);  // the metrics cover every sampled group
    EXPECT_TRUE(std::isfinite(m.loss));
}

TEST(GrpoDynamicSamplingTest, AtTheCapWithNothingKeptTheStepSkipsTheUpdate) {
    auto tok = tokenizer();
    GrpoConfig c = small_config();
    c.dynamic_sampling.enabled = true;
    c.dynamic_sampling.max_rounds = 3;
    GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
    auto before = trainer.policy()->parameters().front().clone();
    StepMetrics m = trainer.step(std::vector<PromptItem>(4, PromptItem{"<bos>?a", "z"}), 1);
    EXPECT_EQ(m.dynamic_sampling_rounds, 3);
    EXPECT_EQ(m.trained_groups, 0);
    EXPECT_EQ(m.all_wrong_groups, 1.0);
    EXPECT_TRUE(trainer.policy()->parameters().front().equal(before));
}

// The named recipes (README "RL algorithms") learn the trivially learnable task: DAPO's settings together
// (clip-higher, token mean, dynamic sampling, overlong shaping) and GRPO with a KL to the reference.
TEST(GrpoEndToEndTest, DapoAndKlRegularisedGrpoLearn) {
    auto tok = tokenizer();
    std::vector<PromptItem> items = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "b"}, {"<bos>?d", "b"}};
    GrpoConfig dapo = small_config();
    dapo.advantage = "grpo";
    dapo.loss.clip_high = 0.28;
    dapo.loss.aggregation = "token_mean";
    dapo.dynamic_sampling.enabled = true;
    dapo.overlong.buffer = 1;
    dapo.overlong.penalty_factor = 0.5;
    GrpoConfig grpo = small_config();
    grpo.advantage = "grpo";
    grpo.loss.aggregation = "seq_mean_token_mean";
    grpo.loss.kl_coef = 0.04;
    grpo.loss.entropy_coef = 0.001;
    for (const auto& [name, c] : {std::pair{"dapo", dapo}, std::pair{"grpo+kl", grpo}}) {
        GrpoTrainer trainer(tiny_model(tok.vocab_size()), tok.model_text(), c, starts_with);
        double first = 0, last = 0;
        for (int step = 1; step <= 30; ++step) {
            StepMetrics m = trainer.step(items, step);
            ASSERT_TRUE(std::isfinite(m.loss)) << name << " step " << step;
            if (step <= 5) first += m.accuracy / 5;
            if (step > 25) last += m.accuracy / 5;
        }
        EXPECT_GT(last, first + 0.3) << name << ": first " << first << " last " << last;
    }
}

}  // namespace
}  // namespace aha::rl
