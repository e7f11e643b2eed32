// The Countdown check on hand-computed equations: right, wrong numbers, wrong values, exact division,
// characters outside the alphabet, answer extraction, hostile sizes; and the "countdown" reward.
#include "verifiers/countdown.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "verifiers/reward.h"

namespace aha::verifiers {
namespace {

CountdownResult check(const std::string& equation, std::vector<int64_t> numbers, int64_t target) {
    return check_countdown("<think>try</think> <answer>" + equation + "</answer>", {std::move(numbers), target});
}

CountdownCheck verdict(const std::string& equation, std::vector<int64_t> numbers, int64_t target) {
    return check(equation, std::move(numbers), target).check;
}

TEST(CountdownTest, RightEquationFromTheTestSplit) {
    // test.parquet row 0: target 36, numbers [79, 17, 60].
    CountdownResult r = check("79 - 60 + 17", {79, 17, 60}, 36);
    EXPECT_EQ(r.check, CountdownCheck::kCorrect);
    EXPECT_EQ(r.equation, "79 - 60 + 17");
    EXPECT_EQ(r.value, "36");
    EXPECT_EQ(verdict("(79 - 60) + 17", {79, 17, 60}, 36), CountdownCheck::kCorrect);
    EXPECT_EQ(verdict("17+79-60", {79, 17, 60}, 36), CountdownCheck::kCorrect);
    // Whitespace (newlines too) between tokens, unary signs, and repeated given numbers used once each.
    EXPECT_EQ(verdict("\n (2 + 3)\n\t+ 5 \n", {2, 3, 5}, 10), CountdownCheck::kCorrect);
    EXPECT_EQ(verdict("-(2 + 3) + 5", {2, 3, 5}, 0), CountdownCheck::kCorrect);
    EXPECT_EQ(verdict("+2 - -3 + 5", {2, 3, 5}, 10), CountdownCheck::kCorrect);
    EXPECT_EQ(verdict("5 - 3 - 3", {3, 5, 3}, -1), CountdownCheck::kCorrect);
    EXPECT_EQ(verdict("0 * 7 + 1", {1, 7, 0}, 1), CountdownCheck::kCorrect);
}

TEST(CountdownTest, NumbersMustBeTheGivenMultiset) {
    // Each number twice; one missing; an extra one; one repeated in place of another.
    CountdownResult twice = check("(2 + 3 + 5) + (2 + 3 + 5) - 10", {2, 3, 5}, 10);
    EXPECT_EQ(twice.check, CountdownCheck::kWrongNumbers);
    EXPECT_EQ(twice.detail, "uses [2, 3, 5, 2, 3, 5, 10], given [2, 3, 5]");
    EXPECT_EQ(verdict("2 * 5", {2, 3, 5}, 10), CountdownCheck::kWrongNumbers);
    EXPECT_EQ(verdict("2 + 3 + 5 + 0", {2, 3, 5}, 10), CountdownCheck::kWrongNumbers);
    EXPECT_EQ(verdict("5 + 5", {2, 3, 5}, 10), CountdownCheck::kWrongNumbers);
    EXPECT_EQ(verdict("2 * 5 * 3 / 3", {2, 3, 5}, 10), CountdownCheck::kWrongNumbers);
    // Digits are read as whole numbers: 23 is not 2 and 3.
    EXPECT_EQ(verdict("23 - 5", {2, 3, 5}, 18), CountdownCheck::kWrongNumbers);
}

TEST(CountdownTest, WrongValueReportsTheExactValue) {
    CountdownResult r = check("2 * 3 + 5", {2, 3, 5}, 10);
    EXPECT_EQ(r.check, CountdownCheck::kWrongValue);
    EXPECT_EQ(r.value, "11");
    EXPECT_EQ(r.detail, "equals 11, target 10");
    EXPECT_EQ(check("(2 + 5) / 3", {2, 3, 5}, 2).value, "7/3");
    // 7 * 1000000 / 1000001 = 6.999993..., within the reference's 1e-5 of 7, but not 7.
    CountdownResult near = check("7 * 1000000 / 1000001", {7, 1000000, 1000001}, 7);
    EXPECT_EQ(near.check, CountdownCheck::kWrongValue);
    EXPECT_EQ(near.value, "7000000/1000001");
}

TEST(CountdownTest, DivisionIsExact) {
    // (1/3) * 9 = 3 through the non-integer 1/3.
    EXPECT_EQ(verdict("(1 / 3) * 9", {1, 3, 9}, 3), CountdownCheck::kCorrect);
    // 8 / (3 - 8/3) = 8 / (1/3) = 24; in doubles it is 23.999999999999986.
    EXPECT_EQ(verdict("8 / (3 - 8 / 3)", {3, 3, 8, 8}, 24), CountdownCheck::kCorrect);
    // 5 * (5 - 1/5) = 5 * 24/5 = 24.
    EXPECT_EQ(verdict("5 * (5 - 1 / 5)", {1, 5, 5, 5}, 24), CountdownCheck::kCorrect);
    // Left to right: 8 / 4 / 2 = 1, not 4.
    EXPECT_EQ(verdict("8 / 4 / 2", {2, 4, 8}, 1), CountdownCheck::kCorrect);
    EXPECT_EQ(verdict("8 - 4 - 2", {2, 4, 8}, 2), CountdownCheck::kCorrect);
}

TEST(CountdownTest, DivisionByZeroIsWrong) {
    CountdownResult r = check("5 / (3 - 3)", {3, 3, 5}, 5);
    EXPECT_EQ(r.check, CountdownCheck::kDivisionByZero);
    EXPECT_EQ(r.value, "");
    EXPECT_EQ(verdict("0 / 0 * 5", {0, 0, 5}, 0), CountdownCheck::kDivisionByZero);
    // 0 / 5 is fine; wrong numbers are reported before a zero divisor.
    EXPECT_EQ(verdict("0 / 5 + 1", {0, 1, 5}, 1), CountdownCheck::kCorrect);
    EXPECT_EQ(verdict("5 / (3 - 3)", {3, 5}, 5), CountdownCheck::kWrongNumbers);
}

TEST(CountdownTest, CharactersOutsideTheAlphabet) {
    CountdownResult r = check("2 + 3 + 5 = 10", {2, 3, 5}, 10);
    EXPECT_EQ(r.check, CountdownCheck::kBadCharacter);
    EXPECT_EQ(r.detail, "'=' at column 11; allowed: digits, + - * / ( ) and spaces");
    EXPECT_EQ(verdict("2 ^ 3 + 2", {2, 2, 3}, 10), CountdownCheck::kBadCharacter);
    EXPECT_EQ(verdict("3.0 + 7", {3, 7}, 10), CountdownCheck::kBadCharacter);  // decimals: not given integers
    EXPECT_EQ(verdict("x * 5", {2, 5}, 10), CountdownCheck::kBadCharacter);
    EXPECT_EQ(verdict("__import__('os')", {2, 5}, 10), CountdownCheck::kBadCharacter);
    EXPECT_EQ(check("2 \xc3\x97 5", {2, 5}, 10).detail, "'\\xc3' at column 3; allowed: digits, + - * / ( ) and spaces");
    EXPECT_EQ(verdict("[2 * 5]", {2, 5}, 10), CountdownCheck::kBadCharacter);
}

TEST(CountdownTest, SyntaxErrors) {
    EXPECT_EQ(verdict("", {2, 5}, 10), CountdownCheck::kSyntax);
    EXPECT_EQ(verdict("2 * 5 +", {2, 5}, 10), CountdownCheck::kSyntax);
    EXPECT_EQ(check("(2 * 5", {2, 5}, 10).detail, "unclosed '('");
    EXPECT_EQ(verdict("2 * 5)", {2, 5}, 10), CountdownCheck::kSyntax);
    EXPECT_EQ(verdict("2(5)", {2, 5}, 10), CountdownCheck::kSyntax);  // no implicit product
    EXPECT_EQ(verdict("2 5", {2, 5}, 10), CountdownCheck::kSyntax);
    EXPECT_EQ(verdict("2 ** 5", {2, 5}, 32), CountdownCheck::kSyntax);  // no power
    EXPECT_EQ(verdict("5 // 2", {2, 5}, 2), CountdownCheck::kSyntax);   // no floor division
    EXPECT_EQ(check("05 * 2", {2, 5}, 10).detail, "leading zero in '05'");
    EXPECT_EQ(verdict("()", {2, 5}, 10), CountdownCheck::kSyntax);
}

TEST(CountdownTest, AnswerExtraction) {
    const CountdownTask task{{2, 3, 5}, 10};
    EXPECT_EQ(check_countdown("2 + 3 + 5", task).check, CountdownCheck::kNoAnswer);
    EXPECT_EQ(check_countdown("<answer>2 + 3 + 5", task).check, CountdownCheck::kNoAnswer);
    EXPECT_EQ(check_countdown("2 + 3 + 5</answer>", task).check, CountdownCheck::kNoAnswer);
    // The last pair counts, whatever came before it or after it.
    EXPECT_EQ(check_countdown("<answer>2 * 3 + 5</answer> no: <answer>2 + 3 + 5</answer>", task).check, CountdownCheck::kCorrect);
    EXPECT_EQ(check_countdown("<answer>2 + 3 + 5</answer> no: <answer>2 * 3 + 5</answer>", task).check, CountdownCheck::kWrongValue);
    EXPECT_EQ(check_countdown("<answer>2 + 3 + 5</answer> and more text", task).check, CountdownCheck::kCorrect);
    EXPECT_EQ(check_countdown("<answer>2 + 3 + 5</answer><answer>", task).check, CountdownCheck::kCorrect);
    // Each <answer> pairs with the next </answer>, as the reference's non-greedy regex does.
    EXPECT_EQ(last_tagged_answer("<answer>a<answer>b</answer>c</answer>"), "a<answer>b");
    EXPECT_EQ(last_tagged_answer("<answer> x </answer>"), "x");
    EXPECT_EQ(last_tagged_answer("<answer></answer>"), "");
    EXPECT_EQ(last_tagged_answer("no tags"), std::nullopt);
}

TEST(CountdownTest, HugeInputsAreBoundedAndCheap) {
    const CountdownTask task{{2, 3, 5}, 10};
    // 8 MB of prose before the answer.
    EXPECT_EQ(check_countdown(std::string(8 << 20, 'x') + "<answer>2+3+5</answer>", task).check, CountdownCheck::kCorrect);
    // Thousands of answer pairs: only the last is parsed.
    std::string many;
    for (int i = 0; i < 100000; ++i) many += "<answer>1</answer>";
    EXPECT_EQ(check_countdown(many + "<answer>2+3+5</answer>", task).check, CountdownCheck::kCorrect);
    // A long equation, deep nesting, a long chain of signs, a thousand-digit number.
    EXPECT_EQ(verdict(std::string(2000, ' ') + "2+3+5", {2, 3, 5}, 10), CountdownCheck::kCorrect);  // trimmed
    CountdownResult longer = check("2+3+5" + std::string(kCountdownMaxChars, '+'), {2, 3, 5}, 10);
    EXPECT_EQ(longer.check, CountdownCheck::kTooLong);
    EXPECT_EQ(verdict(std::string(30, '(') + "2+3+5" + std::string(30, ')'), {2, 3, 5}, 10), CountdownCheck::kCorrect);
    EXPECT_EQ(verdict(std::string(100, '(') + "2+3+5" + std::string(100, ')'), {2, 3, 5}, 10), CountdownCheck::kTooLong);
    EXPECT_EQ(verdict(std::string(100, '-') + "2+3+5", {2, 3, 5}, 10), CountdownCheck::kTooLong);
    EXPECT_EQ(verdict(std::string(1000, '9') + "-" + std::string(1000, '9'), {2, 3, 5}, 10), CountdownCheck::kTooLong);
    EXPECT_EQ(verdict(std::string(1000, '9'), {2, 3, 5}, 10), CountdownCheck::kWrongNumbers);
    // The largest values a bounded equation reaches stay exact: 200 nines times themselves, minus one.
    const std::string nines(200, '9');
    EXPECT_EQ(verdict(nines + "*" + nines + "/" + nines + "-" + nines + "+1", {1}, 1), CountdownCheck::kWrongNumbers);
}

TEST(CountdownTaskTest, ReadsVerlGroundTruthAndRejectsOtherShapes) {
    CountdownTask t = CountdownTask::from_json_text(R"({"numbers": [79, 17, 60], "target": 36})");
    EXPECT_EQ(t.numbers, (std::vector<int64_t>{79, 17, 60}));
    EXPECT_EQ(t.target, 36);
    EXPECT_THROW(CountdownTask::from_json_text("36"), FormatError);
    EXPECT_THROW(CountdownTask::from_json_text("not json"), FormatError);
    EXPECT_THROW(CountdownTask::from_json_text(R"({"nums": [1, 2], "target": 3})"), FormatError);
    EXPECT_THROW(CountdownTask::from_json_text(R"({"numbers": [1, 2], "target": 3, "extra": 1})"), FormatError);
    EXPECT_THROW(CountdownTask::from_json_text(R"({"numbers": [1, 2], "target": 3.5})"), FormatError);
    EXPECT_THROW(CountdownTask::from_json_text(R"({"numbers": [1, -2], "target": 3})"), FormatError);
    EXPECT_THROW(CountdownTask::from_json_text(R"({"numbers": [], "target": 3})"), FormatError);
    EXPECT_THROW(CountdownTask::from_json_text(R"({"numbers": ["1"], "target": 1})"), FormatError);
}

TEST(CountdownRewardTest, VerdictsMapToTheConfiguredRewards) {
    RewardConfig c;
    c.name = "countdown";
    c.wrong = 0.1;  // TinyZero's format score
    const std::string expected = R"({"numbers": [79, 17, 60], "target": 36})";
    VerifierResult right = score_completion(c, "add</think> <answer>79 - 60 + 17</answer>", expected);
    EXPECT_EQ(right.verdict, Verdict::kCorrect);
    EXPECT_DOUBLE_EQ(right.reward, 1.0);
    EXPECT_TRUE(right.format_ok);
    EXPECT_EQ(right.extracted, "79 - 60 + 17");
    EXPECT_EQ(score_completion(c, "<answer>79 + 60 + 17</answer>", expected).verdict, Verdict::kWrong);
    EXPECT_DOUBLE_EQ(score_completion(c, "<answer>79 + 60 + 17</answer>", expected).reward, 0.1);
    EXPECT_DOUBLE_EQ(score_completion(c, "<answer>79 / 0</answer>", expected).reward, 0.1);
    VerifierResult none = score_completion(c, "79 - 60 + 17", expected);
    EXPECT_EQ(none.verdict, Verdict::kMalformed);
    EXPECT_DOUBLE_EQ(none.reward, 0.0);
    EXPECT_THROW(score_completion(c, "<answer>1</answer>", "36"), FormatError);
}

}  // namespace
}  // namespace aha::verifiers
