// Pins the GRPO step's metrics and final weights on a few short runs that cover every stage (dynamic
// sampling, shaping, KL in the loss and in the reward, rollout correction, epochs, mini- and micro-batches,
// MoE in bf16 with masters), so that refactoring the step cannot change what it computes. The pinned
// values in tests/data/rl/pinned_steps.json were written by the trainer before the step was split into
// stages (when it still added <bos> to every prompt itself); AHA_WRITE_PINS=FILE writes them anew.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "core/files.h"
#include "rl/grpo.h"

#include "policy/char_tokenizer.h"
#include "tests/support/tiny_model.h"

namespace aha::rl {
namespace {

policy::CharTokenizer tokenizer() { return policy::CharTokenizer::for_alphabet("abcd?"); }

verifiers::VerifierResult starts_with(const std::string& completion, const PromptItem& item) {
    verifiers::VerifierResult r;
    bool ok = completion.rfind(item.answer, 0) == 0;
    r.verdict = ok ? verifiers::Verdict::kCorrect : verifiers::Verdict::kWrong;
    r.format_ok = completion.size() % 2 == 0;
    r.reward = ok ? 1.0 : 0.0;
    return r;
}

GrpoConfig base_config() {
    GrpoConfig c;
    c.steps = 3;
    c.prompts_per_step = 4;
    c.group_size = 8;
    c.learning_rate = 3e-3;
    c.sampling.max_new_tokens = 4;
    c.sampling.seed = 1;
    c.reward_workers = 1;
    return c;
}

struct PinnedRun {
    std::string name;
    GrpoConfig config;
    bool moe = false;
};

std::vector<PinnedRun> pinned_runs() {
    std::vector<PinnedRun> runs;
    runs.push_back({"dr_grpo_ppo_clip", base_config()});
    GrpoConfig kl = base_config();
    kl.advantage = "grpo";
    kl.loss.kl_coef = 0.05;
    kl.loss.tis.mode = "token_truncate";
    kl.epochs = 2;
    kl.mini_batches = 2;
    kl.micro_batch_tokens = 20;
    kl.loss.entropy_coef = 0.01;
    runs.push_back({"grpo_kl_tis_minibatches", kl});
    GrpoConfig dapo = base_config();
    dapo.loss.kl_coef = 0.1;
    dapo.loss.kl_in_reward = true;
    dapo.dynamic_sampling.enabled = true;
    dapo.dynamic_sampling.max_rounds = 3;
    dapo.overlong = OverlongConfig{2, 0.5};
    dapo.mask_truncated = true;
    dapo.shuffle_rewards = true;
    dapo.lr_schedule = LrSchedule{"cosine", 1, 0.1};
    dapo.loss.name = "gspo";
    runs.push_back({"dapo_shaping_shuffle_gspo", dapo});
    GrpoConfig moe = base_config();
    moe.gradient_checkpointing = true;
    moe.moe.bias_update_rate = 1e-3;
    moe.moe.aux_loss_coef = 0.01;
    runs.push_back({"moe_bf16_masters", moe, true});
    return runs;
}

policy::CausalLM make_policy(const PinnedRun& run, int vocab) {
    if (!run.moe) return testing::tiny_model(vocab);
    policy::CausalLM model = testing::tiny_deepseek_v3_moe(vocab);
    model->to(torch::kBFloat16);
    return model;
}

// Every step's metrics (timings dropped) and a checksum of the final weights.
Json run_pinned(const PinnedRun& run) {
    auto tok = tokenizer();
    policy::CausalLM model = make_policy(run, tok.vocab_size());
    GrpoTrainer trainer(model, tok.model_text(), run.config, starts_with);
    std::vector<PromptItem> pool;
    for (auto [prompt, answer] : {std::pair{"<bos>?a", "b"}, {"<bos>?b", "c"}, {"<bos>?c", "b"}, {"<bos>?d", "a"}, {"<bos>?ab", "d"}, {"<bos>?ba", "b"}}) {
        PromptItem item;
        item.prompt = prompt;
        item.answer = answer;
        pool.push_back(item);
    }
    size_t next = 0;
    auto source = [&](int count) {
        std::vector<PromptItem> items;
        for (int i = 0; i < count; ++i) items.push_back(pool[next++ % pool.size()]);
        return items;
    };
    Json steps = Json::array();
    for (int step = 1; step <= run.config.steps; ++step) {
        Json m = trainer.step(source, step).to_json();
        for (const char* t : {"seconds_rollout", "seconds_score", "seconds_batch", "seconds_update"}) m.erase(t);
        steps.push_back(m);
    }
    double sum = 0, abs_sum = 0;
    for (const auto& p : model->parameters()) {
        sum += p.to(torch::kFloat64).sum().item<double>();
        abs_sum += p.to(torch::kFloat64).abs().sum().item<double>();
    }
    return {{"steps", steps}, {"weights_sum", sum}, {"weights_abs_sum", abs_sum}};
}

// Relative tolerance: on the machine that wrote the pins the values are identical (the test prints the
// largest difference); other CPUs may sum in another order.
constexpr double kRelTol = 1e-5;

void expect_close(const Json& want, const Json& got, const std::string& where, double& worst) {
    if (want.is_object()) {
        ASSERT_TRUE(got.is_object()) << where;
        for (const auto& [k, v] : want.items()) {
            ASSERT_TRUE(got.contains(k)) << where << "." << k << " missing";
            expect_close(v, got[k], where + "." + k, worst);
        }
        return;
    }
    if (want.is_array()) {
        ASSERT_EQ(want.size(), got.size()) << where;
        for (size_t i = 0; i < want.size(); ++i) expect_close(want[i], got[i], where + "[" + std::to_string(i) + "]", worst);
        return;
    }
    const double a = want.get<double>(), b = got.get<double>();
    const double diff = std::abs(a - b);
    worst = std::max(worst, diff / std::max(1e-12, std::abs(a)));
    EXPECT_LE(diff, kRelTol * std::max(1.0, std::abs(a))) << where << ": pinned " << a << ", now " << b;
}

TEST(GrpoPinTest, StepsReproduceThePinnedMetricsAndWeights) {
    Json got = Json::object();
    for (const auto& run : pinned_runs()) got[run.name] = run_pinned(run);
    if (const char* out = std::getenv("AHA_WRITE_PINS")) {
        std::ofstream(out) << got.dump(1) << "\n";
        GTEST_SKIP() << "wrote " << out;
    }
    Json want = load_json_file(std::string(AHA_SOURCE_DIR) + "/tests/data/rl/pinned_steps.json");
    double worst = 0;
    expect_close(want, got, "pins", worst);
    std::printf("largest relative difference from the pins: %.3g\n", worst);
}

}  // namespace
}  // namespace aha::rl
