// Verdicts and rewards for completions. Rewards are registered by name so an ablation is one config line:
//   "answer"             1 for the exact right answer in <answer> tags, else 0 (the R1-Zero accuracy reward)
//   "answer_and_format"  answer reward plus format_weight when the think/answer format is also right
//   "math"               1 when the answer is mathematically equivalent to the expected one (verifiers/math:
//                        <answer> tags if present, else \boxed{}, "the final answer is", ...), else 0
//   "math_and_format"    math reward plus format_weight for the think/answer format
//   "code"               the completion's last fenced code block run against the prompt's tests in the
//                        sandbox (verifiers/code); `expected` is {"tests": ..., "language"?} as JSON text.
//                        correct when every test passes (or the share of tests passed, rl.reward.code.reward
//                        "fraction"), no_answer without a code block
//   "countdown"          the equation in the last <answer> tags uses each given number once and equals the
//                        target, evaluated exactly (verifiers/countdown); `expected` is {"numbers": [...],
//                        "target": N} as JSON text. wrong: 0.1 gives TinyZero's score for a wrong equation
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "verifiers/code/verify.h"
#include "verifiers/math/verify.h"

namespace aha::verifiers {

enum class Verdict {
    kCorrect,    // well-formed and right
    kWrong,      // well-formed, wrong answer
    kMalformed,  // no single <answer>...</answer>
    kTimeout,    // the checker ran out of time (code verifiers)
};

const char* verdict_name(Verdict v);

struct VerifierResult {
    Verdict verdict = Verdict::kMalformed;
    bool format_ok = false;  // think/answer format
    double reward = 0.0;
    std::string extracted;   // the answer text the verdict is about
};

// Exact-match answer check: the text inside the single <answer> pair equals `expected`.
VerifierResult verify_exact_answer(const std::string& completion, const std::string& expected);

// Equivalence check with the math verifier; kMalformed when no answer is found.
VerifierResult verify_math_answer(const std::string& completion, const std::string& expected,
                                  const math::MathVerifyOptions& options = {});

// The Countdown check (verifiers/countdown) of the last <answer> pair against `expected`, {"numbers": [...],
// "target": N} as JSON text: kMalformed without an answer pair, kWrong for any failed check (see `extracted`
// for the equation; check_countdown() says which check failed).
VerifierResult verify_countdown_answer(const std::string& completion, const std::string& expected);

struct RewardConfig {
    std::string name = "answer";  // see the catalogue above
    double format_weight = 0.1;   // only for "*_and_format"
    // The reward of each verdict: a right answer, a wrong one, and no answer found (malformed).
    double correct = 1.0;
    double wrong = 0.0;
    double no_answer = 0.0;
    // The math rewards' extraction and comparison (key math): which answer locations count, per dataset
    // (e.g. last_number false for free-form proofs), and the decimal rounding.
    math::MathVerifyOptions math;
    // The code reward's sandbox, limits and reward mode (key code: timeout_s, cpu_s, memory_mb,
    // processes, output_mb, reward, mode, python, cxx, cxx_flags, read_only_paths, float_tolerance,
    // fail_fast).
    code::CodeVerifyOptions code;

    static RewardConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

std::vector<std::string> reward_names();

// Scores one completion with the configured reward.
VerifierResult score_completion(const RewardConfig& config,
                                const std::string& completion,
                                const std::string& expected);

}  // namespace aha::verifiers
