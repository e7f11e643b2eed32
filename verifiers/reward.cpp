// Verdicts and named rewards; see reward.h.
#include "verifiers/reward.h"

#include <algorithm>
#include <cmath>

#include "core/catalogue.h"
#include "core/error.h"
#include "core/strings.h"
#include "verifiers/answer_tags.h"
#include "verifiers/countdown.h"

namespace aha::verifiers {

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::kCorrect: return "correct";
        case Verdict::kWrong: return "wrong";
        case Verdict::kMalformed: return "malformed";
        case Verdict::kTimeout: return "timeout";
    }
    return "?";
}

VerifierResult verify_exact_answer(const std::string& completion, const std::string& expected) {
    VerifierResult r;
    r.format_ok = has_think_answer_format(completion);
    ExtractedAnswer a = extract_tagged_answer(completion);
    if (a.status != Extraction::kOk) return r;
    r.extracted = a.text;
    r.verdict = a.text == expected ? Verdict::kCorrect : Verdict::kWrong;
    r.reward = r.verdict == Verdict::kCorrect ? 1.0 : 0.0;
    return r;
}

// Mathematical equivalence (verifiers/math) of the completion's answer: from <answer> tags when the
// completion has them, else the boxed answer, final-answer phrases and the rest of the extraction order.
VerifierResult verify_math_answer(const std::string& completion, const std::string& expected,
                                  const math::MathVerifyOptions& options) {
    VerifierResult r;
    r.format_ok = has_think_answer_format(completion);
    ExtractedAnswer tagged = extract_tagged_answer(completion);
    const std::string& pred = tagged.status == Extraction::kOk ? tagged.text : completion;
    math::MathVerdict v = math::verify_math(expected, pred, options);
    r.extracted = v.extracted_pred;
    if (!v.answer_found) return r;
    r.verdict = v.correct ? Verdict::kCorrect : Verdict::kWrong;
    r.reward = v.correct ? 1.0 : 0.0;
    return r;
}

// The completion's program (its last fenced block) run against the tests in `expected`, a JSON object
// {"tests": ..., "language"?} as in a line of `aha verify code`, inside the sandbox.
VerifierResult verify_code_answer(const std::string& completion, const std::string& expected,
                                  const code::CodeVerifyOptions& options, double& fraction) {
    VerifierResult r;
    r.format_ok = has_think_answer_format(completion);
    Json line;
    try {
        line = Json::parse(expected);
    } catch (const Json::parse_error&) {
        throw FormatError("code reward: the expected value is not JSON; expected {\"tests\": ..., \"language\"?}");
    }
    if (!line.is_object()) throw FormatError("code reward: expected {\"tests\": ..., \"language\"?}");
    line["completion"] = completion;
    code::check_sandbox(options.sandbox);
    code::CodeVerdict v = code::verify_code(code::CodeTask::from_json(line, "code reward"), options);
    fraction = v.total ? static_cast<double>(v.passed) / v.total : 0.0;
    r.extracted = v.verdict;
    if (v.verdict == "no_code") return r;
    r.verdict = v.verdict == "accepted" ? Verdict::kCorrect : v.verdict == "time_limit" ? Verdict::kTimeout : Verdict::kWrong;
    return r;
}

VerifierResult verify_countdown_answer(const std::string& completion, const std::string& expected) {
    const CountdownTask task = CountdownTask::from_json_text(expected);
    VerifierResult r;
    r.format_ok = has_think_answer_format(completion);
    CountdownResult c = check_countdown(completion, task);
    r.extracted = c.equation;
    if (c.check == CountdownCheck::kNoAnswer) return r;
    r.verdict = c.check == CountdownCheck::kCorrect ? Verdict::kCorrect : Verdict::kWrong;
    r.reward = r.verdict == Verdict::kCorrect ? 1.0 : 0.0;
    return r;
}

namespace {

// The verdict rewards of the verdict-graded rewards: correct, wrong or no_answer, plus format_weight when
// `format_bonus` and the think/answer format is right.
VerifierResult verdict_reward(const RewardConfig& config, VerifierResult r, bool format_bonus) {
    r.reward = r.verdict == Verdict::kCorrect ? config.correct : r.verdict == Verdict::kWrong ? config.wrong : config.no_answer;
    if (format_bonus && r.format_ok) r.reward += config.format_weight;
    return r;
}

// The code reward: all_pass gives correct or wrong; fraction, the share of tests passed between the two.
// No program: no_answer.
VerifierResult code_reward(const RewardConfig& config, const std::string& completion, const std::string& expected) {
    double fraction = 0;
    VerifierResult r = verify_code_answer(completion, expected, config.code, fraction);
    const double share = config.code.reward == "fraction" ? fraction : (r.verdict == Verdict::kCorrect ? 1.0 : 0.0);
    r.reward = r.verdict == Verdict::kMalformed ? config.no_answer : config.wrong + share * (config.correct - config.wrong);
    return r;
}

struct NamedReward {
    const char* name;
    VerifierResult (*score)(const RewardConfig& config, const std::string& completion, const std::string& expected);
};

const std::vector<NamedReward>& named_rewards() {
    using C = const RewardConfig&;
    using S = const std::string&;
    static const std::vector<NamedReward> t = {
        {"answer", [](C c, S completion, S expected) { return verdict_reward(c, verify_exact_answer(completion, expected), false); }},
        {"answer_and_format",
         [](C c, S completion, S expected) { return verdict_reward(c, verify_exact_answer(completion, expected), true); }},
        {"math", [](C c, S completion, S expected) { return verdict_reward(c, verify_math_answer(completion, expected, c.math), false); }},
        {"math_and_format",
         [](C c, S completion, S expected) { return verdict_reward(c, verify_math_answer(completion, expected, c.math), true); }},
        {"code", code_reward},
        {"countdown",
         [](C c, S completion, S expected) { return verdict_reward(c, verify_countdown_answer(completion, expected), false); }},
    };
    return t;
}

}  // namespace

std::vector<std::string> reward_names() { return catalogue_names(named_rewards()); }

RewardConfig RewardConfig::from_json(ConfigReader r) {
    RewardConfig c;
    r.read("name", c.name)
        .read("format_weight", c.format_weight)
        .read("correct", c.correct)
        .read("wrong", c.wrong)
        .read("no_answer", c.no_answer);
    {
        ConfigReader m = r.child("math");
        math::ExtractOptions& e = c.math.extract;
        m.read("boxed", e.boxed)
            .read("phrases", e.phrases)
            .read("answer_tags", e.answer_tags)
            .read("gsm8k", e.gsm8k)
            .read("latex_envs", e.latex_envs)
            .read("whole_text", e.whole_text)
            .read("last_number", e.last_number)
            .read("precision", c.math.compare.float_rounding)
            .read("rel_tol", c.math.compare.rel_tol)
            .read("strict", c.math.compare.strict);
        m.finish();
    }
    c.code = code::CodeVerifyOptions::from_json(r.child("code"));
    r.finish();
    return c;
}

Json RewardConfig::to_json() const {
    const math::ExtractOptions& e = math.extract;
    return {{"name", name},
            {"format_weight", format_weight},
            {"correct", correct},
            {"wrong", wrong},
            {"no_answer", no_answer},
            {"math",
             {{"boxed", e.boxed},
              {"phrases", e.phrases},
              {"answer_tags", e.answer_tags},
              {"gsm8k", e.gsm8k},
              {"latex_envs", e.latex_envs},
              {"whole_text", e.whole_text},
              {"last_number", e.last_number},
              {"precision", math.compare.float_rounding},
              {"rel_tol", math.compare.rel_tol},
              {"strict", math.compare.strict}}},
            {"code", code.to_json()}};
}

void RewardConfig::validate(const std::string& path) const {
    config_require_one_of(name, reward_names(), path + ".name");
    config_require(format_weight >= 0.0 && format_weight <= 1.0, path + ".format_weight", "expected 0..1");
    config_require(correct > wrong, path + ".correct", "expected more than the wrong-answer reward");
    config_require(math.compare.float_rounding >= 0 && math.compare.float_rounding <= 30, path + ".math.precision", "expected 0..30");
    config_require(math.compare.rel_tol > 0 && math.compare.rel_tol < 1, path + ".math.rel_tol", "expected in (0, 1)");
    config_require(std::isfinite(wrong) && std::isfinite(no_answer) && std::isfinite(correct), path, "rewards must be finite");
    code.validate(path + ".code");
}

VerifierResult score_completion(const RewardConfig& config,
                                const std::string& completion,
                                const std::string& expected) {
    return catalogue_entry(named_rewards(), config.name, "reward").score(config, completion, expected);
}

}  // namespace aha::verifiers
