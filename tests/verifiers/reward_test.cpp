// Answer extraction, the format check and the named rewards on right, wrong and malformed completions.
#include "verifiers/reward.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/verifiers/namespaces.h"
#include "verifiers/answer_tags.h"

namespace aha::verifiers {
namespace {

TEST(ExtractTaggedAnswerTest, ExactlyOnePairIsRequired) {
    EXPECT_EQ(extract_tagged_answer("1a=b;</think><answer> b </answer>").text, "b");
    EXPECT_EQ(extract_tagged_answer("no tags").status, Extraction::kMissing);
    EXPECT_EQ(extract_tagged_answer("<answer>a</answer><answer>b</answer>").status, Extraction::kMultiple);
    EXPECT_EQ(extract_tagged_answer("<answer>a").status, Extraction::kUnclosed);
    EXPECT_EQ(extract_tagged_answer("</answer>a<answer>").status, Extraction::kUnclosed);
    EXPECT_EQ(extract_tagged_answer("<answer></answer>").status, Extraction::kOk);
    EXPECT_EQ(extract_tagged_answer("<answer>b</answer> \n").status, Extraction::kOk);
    EXPECT_EQ(extract_tagged_answer("<answer>b</answer>1a=b;").status, Extraction::kTrailing);
}

TEST(ThinkAnswerFormatTest, AcceptsOnlyTheR1Shape) {
    EXPECT_TRUE(has_think_answer_format("1a=b;</think><answer>b</answer>"));
    EXPECT_TRUE(has_think_answer_format("</think> <answer>b</answer>\n"));
    EXPECT_FALSE(has_think_answer_format("<answer>b</answer>"));
    EXPECT_FALSE(has_think_answer_format("</think><answer>b</answer>x"));
    EXPECT_FALSE(has_think_answer_format("x</think>y<answer>b</answer>"));
    EXPECT_FALSE(has_think_answer_format("<think></think><answer>b</answer>"));
    EXPECT_FALSE(has_think_answer_format("</think></think><answer>b</answer>"));
}

TEST(VerifyExactAnswerTest, RightWrongAndMalformed) {
    VerifierResult right = verify_exact_answer("1a=b;</think><answer>b</answer>", "b");
    EXPECT_EQ(right.verdict, Verdict::kCorrect);
    EXPECT_DOUBLE_EQ(right.reward, 1.0);
    EXPECT_TRUE(right.format_ok);
    VerifierResult wrong = verify_exact_answer("</think><answer>c</answer>", "b");
    EXPECT_EQ(wrong.verdict, Verdict::kWrong);
    EXPECT_DOUBLE_EQ(wrong.reward, 0.0);
    VerifierResult sprayed = verify_exact_answer("<answer>b</answer><answer>c</answer>", "b");
    EXPECT_EQ(sprayed.verdict, Verdict::kMalformed);
    EXPECT_DOUBLE_EQ(sprayed.reward, 0.0);
    // Right answer, no think/answer shape: accuracy reward still 1, the format reward gives no bonus.
    VerifierResult bare = verify_exact_answer("<answer>b</answer>", "b");
    EXPECT_EQ(bare.verdict, Verdict::kCorrect);
    EXPECT_FALSE(bare.format_ok);
}

TEST(ScoreCompletionTest, FormatRewardAddsOnlyWhenFormatHolds) {
    RewardConfig c;
    c.name = "answer_and_format";
    c.format_weight = 0.25;
    EXPECT_DOUBLE_EQ(score_completion(c, "</think><answer>c</answer>", "b").reward, 0.25);
    EXPECT_DOUBLE_EQ(score_completion(c, "</think><answer>b</answer>", "b").reward, 1.25);
    EXPECT_DOUBLE_EQ(score_completion(c, "<answer>b</answer>", "b").reward, 1.0);
    c.name = "answer";
    EXPECT_DOUBLE_EQ(score_completion(c, "</think><answer>c</answer>", "b").reward, 0.0);
}

TEST(ScoreCompletionTest, MathRewardGradesEquivalentAnswers) {
    RewardConfig c;
    c.name = "math";
    VerifierResult tagged = score_completion(c, "x</think> <answer>\\frac{2}{4}</answer>", "0.5");
    EXPECT_EQ(tagged.verdict, Verdict::kCorrect);
    EXPECT_TRUE(tagged.format_ok);
    EXPECT_EQ(score_completion(c, "so the result is $\\boxed{3\\sqrt{2}}$", "\\sqrt{18}").reward, 1.0);
    EXPECT_EQ(score_completion(c, "so the result is $\\boxed{3\\sqrt{3}}$", "\\sqrt{18}").verdict, Verdict::kWrong);
    EXPECT_EQ(score_completion(c, "I do not know.", "7").verdict, Verdict::kMalformed);
    c.name = "math_and_format";
    c.format_weight = 0.5;
    EXPECT_DOUBLE_EQ(score_completion(c, "x</think> <answer>1/2</answer>", "0.5").reward, 1.5);
    // Verdicts map to rewards by config: wrong answers and missing answers can be told apart.
    c.name = "math";
    c.wrong = -0.5;
    c.no_answer = -1.0;
    EXPECT_DOUBLE_EQ(score_completion(c, "\\boxed{7}", "8").reward, -0.5);
    EXPECT_DOUBLE_EQ(score_completion(c, "no idea", "8").reward, -1.0);
    EXPECT_DOUBLE_EQ(score_completion(c, "\\boxed{8}", "8").reward, 1.0);
    // Extraction per dataset: without the last-number fallback, a bare number in prose is no answer.
    EXPECT_DOUBLE_EQ(score_completion(c, "it must be 8 then", "8").reward, 1.0);
    c.math.extract.last_number = false;
    EXPECT_DOUBLE_EQ(score_completion(c, "it must be 8 then", "8").reward, -1.0);
}

TEST(RewardConfigTest, MathOptionsRoundTripAndUnknownKeysAreNamed) {
    Json j = {{"name", "math"}, {"math", {{"last_number", false}, {"precision", 3}}}};
    RewardConfig c = RewardConfig::from_json(ConfigReader(j, "rl.reward"));
    EXPECT_FALSE(c.math.extract.last_number);
    EXPECT_EQ(c.math.compare.float_rounding, 3);
    EXPECT_EQ(RewardConfig::from_json(ConfigReader(c.to_json(), "rl.reward")).to_json(), c.to_json());
    Json bad = {{"name", "math"}, {"math", {{"last_numbr", false}}}};
    EXPECT_THROW(RewardConfig::from_json(ConfigReader(bad, "rl.reward")), ConfigError);
}

TEST(ScoreCompletionTest, CodeRewardRunsTheCompletionsProgramInTheSandbox) {
    if (!code::host_allows_namespaces()) GTEST_SKIP() << "this host forbids user namespaces: the strict sandbox cannot run here";
    RewardConfig c;
    c.name = "code";
    c.no_answer = -1;
    const std::string tests = R"J({"tests": {"inputs": ["2 3\n", "10 -4\n"], "outputs": ["5", "6"]}})J";
    const std::string right = "<think>add</think>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```";
    const std::string half = "```python\na, b = map(int, input().split())\nprint(5)\n```";
    VerifierResult r = score_completion(c, right, tests);
    EXPECT_EQ(r.verdict, Verdict::kCorrect);
    EXPECT_EQ(r.reward, 1.0);
    EXPECT_EQ(score_completion(c, half, tests).reward, 0.0);
    EXPECT_EQ(score_completion(c, "no code at all", tests).reward, -1.0);
    c.code.sandbox.limits.wall_seconds = 2;
    c.code.sandbox.limits.cpu_seconds = 1;
    EXPECT_EQ(score_completion(c, "```python\nwhile True: pass\n```", R"J({"tests": {"inputs": [""], "outputs": [""]}})J").verdict,
              Verdict::kTimeout);
    c.code.reward = "fraction";
    EXPECT_EQ(score_completion(c, half, tests).reward, 0.5);
    EXPECT_THROW(score_completion(c, right, "not json"), FormatError);
}

TEST(RewardConfigTest, UnknownNameListsValidOnes) {
    RewardConfig c;
    c.name = "answr";
    try {
        c.validate("reward");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("valid names: answer, answer_and_format, math, math_and_format, code, countdown"), std::string::npos);
    }
}

}  // namespace
}  // namespace aha::verifiers
