// Resuming an RL run from saved weights and Learner::save_state continues bitwise as the run that never
// stopped (dense fp32, and a bf16 MoE with fp32 masters and router-bias updates); a damaged or mismatched
// state is an error naming the file.
#include <gtest/gtest.h>

#include <fstream>

#include "core/files.h"
#include "policy/char_tokenizer.h"
#include "policy/checkpoint.h"
#include "rl/grpo.h"
#include "tests/support/tiny_model.h"

namespace aha::rl {
namespace {

policy::CharTokenizer tokenizer() { return policy::CharTokenizer::for_alphabet("abcd?"); }

verifiers::VerifierResult starts_with(const std::string& completion, const PromptItem& item) {
    verifiers::VerifierResult r;
    const bool ok = completion.rfind(item.answer, 0) == 0;
    r.verdict = ok ? verifiers::Verdict::kCorrect : verifiers::Verdict::kWrong;
    r.reward = ok ? 1.0 : 0.0;
    return r;
}

const std::vector<PromptItem> kItems = {{"<bos>?a", "b"}, {"<bos>?b", "b"}, {"<bos>?c", "d"}, {"<bos>?d", "b"}};

GrpoConfig config() {
    GrpoConfig c;
    c.steps = 4;
    c.prompts_per_step = 4;
    c.group_size = 8;
    c.learning_rate = 3e-3;
    c.lr_schedule.name = "cosine";
    c.lr_schedule.warmup_steps = 1;
    c.mini_batches = 2;
    c.sampling.max_new_tokens = 4;
    c.sampling.seed = 3;
    return c;
}

// Metrics without the timings.
Json comparable(const StepMetrics& m) {
    Json j = m.to_json();
    for (auto it = j.begin(); it != j.end();) it = it.key().rfind("seconds_", 0) == 0 ? j.erase(it) : std::next(it);
    return j;
}

std::string temp_dir(const std::string& name) {
    const std::string dir = ::testing::TempDir() + "aha_resume_test/" + name;
    remove_tree(dir);
    make_dirs(dir);
    return dir;
}

// Runs steps 1..4 straight, and 1..2, save, load into a fresh trainer, 3..4; compares metrics and weights.
void expect_bitwise_resume(const std::function<policy::CausalLM()>& make_model, const GrpoConfig& c, const std::string& name) {
    auto tok = tokenizer();
    std::vector<Json> straight;
    GrpoTrainer whole(make_model(), tok.model_text(), c, starts_with);
    for (int step = 1; step <= 4; ++step) straight.push_back(comparable(whole.step(kItems, step)));

    const std::string dir = temp_dir(name);
    {
        GrpoTrainer first(make_model(), tok.model_text(), c, starts_with);
        for (int step = 1; step <= 2; ++step) ASSERT_EQ(comparable(first.step(kItems, step)), straight[step - 1]) << "step " << step;
        policy::save_hf_model(dir, first.policy());
        first.learner().save_state(dir + "/trainer_state.pt");
    }
    policy::CausalLM loaded = policy::load_model(dir);
    GrpoTrainer resumed(loaded, tok.model_text(), c, starts_with);
    resumed.learner().load_state(dir + "/trainer_state.pt");
    EXPECT_EQ(resumed.learner().state().step, 2);
    EXPECT_GT(resumed.learner().state().optimizer_steps, 0);
    for (int step = 3; step <= 4; ++step) EXPECT_EQ(comparable(resumed.step(kItems, step)), straight[step - 1]) << "step " << step;
    auto a = whole.policy()->named_parameters(), b = resumed.policy()->named_parameters();
    ASSERT_EQ(a.size(), b.size());
    for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
    auto ab = whole.policy()->named_buffers(), bb = resumed.policy()->named_buffers();
    for (const auto& p : ab) EXPECT_TRUE(torch::equal(p.value(), bb[p.key()])) << p.key();
}

policy::CausalLM tiny_moe(int vocab) {
    policy::CausalLM model = testing::tiny_deepseek_v3_moe(vocab);
    model->to(torch::kBFloat16);
    // As policy::load_model builds a bf16 policy: the routing correction bias stays fp32.
    torch::NoGradGuard no_grad;
    for (auto& m : model->moe_layers()) m->gate->e_score_correction_bias.set_data(m->gate->e_score_correction_bias.to(torch::kFloat32));
    return model;
}

TEST(ResumeTest, DenseFp32RunContinuesBitwise) {
    const int vocab = tokenizer().vocab_size();
    expect_bitwise_resume([&] { return testing::tiny_model(vocab); }, config(), "dense");
}

TEST(ResumeTest, Bf16MoeWithMastersAndBiasUpdatesContinuesBitwise) {
    const int vocab = tokenizer().vocab_size();
    GrpoConfig c = config();
    c.moe.bias_update_rate = 1e-3;
    c.moe.aux_loss_coef = 0.01;
    expect_bitwise_resume([&] { return tiny_moe(vocab); }, c, "moe");
}

TEST(ResumeTest, DamagedOrMismatchedStateIsAnErrorNamingTheFile) {
    auto tok = tokenizer();
    const std::string dir = temp_dir("bad");
    GrpoTrainer moe(tiny_moe(tok.vocab_size()), tok.model_text(), config(), starts_with);
    moe.step(kItems, 1);
    const std::string path = dir + "/trainer_state.pt";
    moe.learner().save_state(path);
    auto error_of = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    // A dense fp32 learner has no masters and other parameters.
    GrpoTrainer dense(testing::tiny_model(tok.vocab_size()), tok.model_text(), config(), starts_with);
    const std::string mismatch = error_of([&] { dense.learner().load_state(path); });
    EXPECT_NE(mismatch.find(path + ": the state has"), std::string::npos) << mismatch;
    // Truncated at several points.
    const std::string bytes = read_file(path);
    for (size_t keep : {size_t{0}, size_t{100}, bytes.size() / 2, bytes.size() - 10}) {
        write_file_atomic(dir + "/cut.pt", bytes.substr(0, keep));
        const std::string cut = error_of([&] { moe.learner().load_state(dir + "/cut.pt"); });
        EXPECT_NE(cut.find(dir + "/cut.pt: "), std::string::npos) << keep << ": " << cut;
    }
    EXPECT_NE(error_of([&] { moe.learner().load_state(dir + "/absent.pt"); }).find("absent.pt: no trainer state"), std::string::npos);
}

}  // namespace
}  // namespace aha::rl
