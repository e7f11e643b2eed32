// The Countdown check (TinyZero, Pan et al. 2025; verl/utils/reward_score/countdown.py): the equation in
// the completion's last <answer>...</answer> must use each given number exactly once and equal the target.
// Improves on the reference: exact rational arithmetic instead of Python eval and a 1e-5 float tolerance.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aha::verifiers {

struct CountdownTask {
    std::vector<int64_t> numbers;  // each to be used exactly once (a multiset); non-negative
    int64_t target = 0;

    // {"numbers": [..], "target": N}, verl's reward_model.ground_truth as JSON text. Unknown keys,
    // non-integers and negative numbers are a FormatError that names the key.
    static CountdownTask from_json_text(const std::string& text);
};

// Why an equation is right or wrong, in the order checked: the first failing check is reported.
enum class CountdownCheck {
    kCorrect,         // the given numbers, each once, and the exact value equals the target
    kNoAnswer,        // no <answer>...</answer> pair
    kTooLong,         // over kCountdownMaxChars, or brackets/signs nested over kCountdownMaxDepth
    kBadCharacter,    // a character other than digits, + - * / ( ) and ASCII whitespace
    kSyntax,          // not an expression of the grammar below (empty, "2**3", "2(3)", "05", "3 4")
    kWrongNumbers,    // the numbers written are not the given multiset (one missing, extra or repeated)
    kDivisionByZero,  // some division has a zero divisor
    kWrongValue,      // well-formed with the right numbers, but its value is not the target
};

const char* countdown_check_name(CountdownCheck c);

struct CountdownResult {
    CountdownCheck check = CountdownCheck::kNoAnswer;
    std::string equation;  // the last <answer> pair's content, trimmed of ASCII whitespace
    std::string value;     // the exact value, "7" or "22/3", when it was computed
    std::string detail;    // for a failed check: what and where ("'^' at column 3")
};

// Bounds that keep a hostile answer cheap: the equation's length (a real one is ~20 characters) and the
// nesting of brackets and unary signs (the parser's recursion).
constexpr size_t kCountdownMaxChars = 1024;
constexpr int kCountdownMaxDepth = 64;

// The content of the last <answer>...</answer> pair, trimmed; nullopt without one. Pairs are matched left
// to right, each <answer> with the next </answer> (the reference's non-greedy regex), and may span lines
// (the reference looks only at the completion's last line).
std::optional<std::string> last_tagged_answer(const std::string& completion);

// Checks the completion's equation against the task. Grammar (the reference's Python eval, without ** and
// //, decimals, or leading zeros, which the given integers never need):
//   expr   := term (('+' | '-') term)*
//   term   := factor (('*' | '/') factor)*
//   factor := ('+' | '-') factor | integer | '(' expr ')'
// with whitespace between tokens. '/' is exact division, so (1/3)*3 is exactly 1.
CountdownResult check_countdown(const std::string& completion, const CountdownTask& task);

}  // namespace aha::verifiers
