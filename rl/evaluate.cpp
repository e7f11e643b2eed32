// Evaluation suites; see evaluate.h.
#include "rl/evaluate.h"

#include <algorithm>
#include <thread>

#include "core/config_fields.h"
#include "verifiers/math/verify.h"

namespace aha::rl {

namespace {

// The suite's own keys (its data source's are datasets::DataSourceConfig's).
const ConfigFields<EvalSuiteConfig>& suite_fields() {
    static const ConfigFields<EvalSuiteConfig> f = {
        field("n", &EvalSuiteConfig::n, in_range(1, 1024)),
        field("temperature", &EvalSuiteConfig::temperature, at_least(0.0, " (0 = greedy)")),
        field("top_p", &EvalSuiteConfig::top_p, ValueCheck<double>([](const double& p) {
                  return p > 0 && p <= 1 ? "" : "expected in (0, 1]";
              })),
        field("max_new_tokens", &EvalSuiteConfig::max_new_tokens, at_least(0, " (0 = rl.sampling.max_new_tokens)")),
        field("max_prompts", &EvalSuiteConfig::max_prompts, at_least(0, " (0 = all)")),
    };
    return f;
}

}  // namespace

EvalSuiteConfig EvalSuiteConfig::from_json(ConfigReader r) {
    EvalSuiteConfig c;
    c.data = datasets::DataSourceConfig::read(r);
    read_fields(suite_fields(), r, c);
    r.finish();
    return c;
}

Json EvalSuiteConfig::to_json() const {
    Json j = data.to_json();
    j.erase("weight");
    write_fields(suite_fields(), *this, j);
    return j;
}

void EvalSuiteConfig::validate(const std::string& path) const {
    data.validate(path);
    check_fields(suite_fields(), *this, path);
    config_require(temperature > 0 || n == 1, path + ".n", "n > 1 needs temperature > 0 (greedy samples are all the same)");
}

Json EvalResult::to_json() const {
    Json j = {{"suite", name},
              {"prompts", prompts},
              {"n", n},
              {"accuracy", accuracy},
              {"format_rate", format_rate},
              {"mean_length", mean_length},
              {"mean_length_correct", mean_length_correct},
              {"mean_length_wrong", mean_length_wrong},
              {"truncated_rate", truncated_rate}};
    for (size_t k = 1; k <= pass_at.size(); ++k) j["pass@" + std::to_string(k)] = pass_at[k - 1];
    for (size_t k = 1; k <= maj_at.size(); ++k) j["maj@" + std::to_string(k)] = maj_at[k - 1];
    return j;
}

verifiers::AnswerEquivalence answer_equivalence(const verifiers::RewardConfig& reward, const std::string& name) {
    if (name.rfind("math", 0) != 0) return verifiers::same_text;
    const verifiers::math::MathVerifyOptions options = reward.math;
    return [options](const std::string& a, const std::string& b) {
        return verifiers::math::verify_math(a, "\\boxed{" + b + "}", options).correct;
    };
}

namespace {

void add_prompt_metrics(const EvalSuite& suite, const verifiers::RewardConfig& reward, size_t prompt,
                        const std::vector<EvalSample>& samples, std::vector<verifiers::SampleMetrics>& per_prompt) {
    std::vector<verifiers::GradedSample> graded;
    for (int j = 0; j < suite.n; ++j) {
        const EvalSample& s = samples[prompt * static_cast<size_t>(suite.n) + static_cast<size_t>(j)];
        graded.push_back({s.verdict == verifiers::Verdict::kMalformed ? "" : s.extracted, s.verdict == verifiers::Verdict::kCorrect});
    }
    const std::string& name = suite.items[prompt].reward.empty() ? reward.name : suite.items[prompt].reward;
    per_prompt.push_back(verifiers::sample_metrics(graded, answer_equivalence(reward, name)));
}

}  // namespace

EvalResult evaluate(policy::CausalLM& model,
                    const tokenizer::ModelText& text,
                    const EvalSuite& suite,
                    const verifiers::RewardConfig& reward,
                    int max_rows) {
    EvalResult r;
    r.name = suite.name;
    r.n = suite.n;
    r.prompts = static_cast<int>(suite.items.size());
    rollout::EngineConfig config = GrpoConfig::default_engine();
    config.max_num_seqs = std::max(1, max_rows);
    rollout::Engine engine(model, config, text.eos_ids);
    const size_t per_batch = static_cast<size_t>(std::max(1, max_rows / suite.n));
    const int workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const RewardFn score = named_reward(reward);
    for (size_t begin = 0; begin < suite.items.size(); begin += per_batch) {
        const size_t end = std::min(suite.items.size(), begin + per_batch);
        std::vector<PromptItem> batch(suite.items.begin() + static_cast<std::ptrdiff_t>(begin),
                                      suite.items.begin() + static_cast<std::ptrdiff_t>(end));
        rollout::SamplingParams sampling = suite.sampling;
        sampling.seed = rollout::request_seed(suite.sampling.seed, static_cast<int64_t>(begin));
        ScoredRollout s = sample_and_score(engine, text, batch, suite.n, sampling, score, workers);
        auto lengths = s.lengths.accessor<float, 1>();
        auto truncated = s.truncated.accessor<bool, 1>();
        for (int64_t i = 0; i < s.size(); ++i) {
            const auto& v = s.results[static_cast<size_t>(i)];
            r.samples.push_back({static_cast<int>(begin + static_cast<size_t>(i / suite.n)), static_cast<int>(i % suite.n),
                                 s.completions[static_cast<size_t>(i)], v.extracted, v.verdict, v.reward,
                                 static_cast<int>(lengths[i]), truncated[i], v.format_ok});
        }
    }
    double n_correct = 0, len_correct = 0, len_wrong = 0;
    for (const auto& s : r.samples) {
        const bool ok = s.verdict == verifiers::Verdict::kCorrect;
        n_correct += ok;
        (ok ? len_correct : len_wrong) += s.length;
        r.mean_length += s.length;
        r.truncated_rate += s.truncated;
        r.format_rate += s.format_ok;
    }
    std::vector<verifiers::SampleMetrics> per_prompt;
    for (size_t p = 0; p < suite.items.size(); ++p) add_prompt_metrics(suite, reward, p, r.samples, per_prompt);
    const double total = static_cast<double>(r.samples.size());
    if (total > 0) {
        r.accuracy = n_correct / total;
        r.mean_length /= total;
        r.truncated_rate /= total;
        r.format_rate /= total;
        const auto mean = verifiers::mean_over_prompts(per_prompt);
        r.pass_at = mean.pass_at;
        r.maj_at = mean.maj_at;
    }
    r.mean_length_correct = n_correct > 0 ? len_correct / n_correct : 0;
    r.mean_length_wrong = total - n_correct > 0 ? len_wrong / (total - n_correct) : 0;
    return r;
}

}  // namespace aha::rl
