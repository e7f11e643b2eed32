// pass@k, mean@n and maj@k on hand-computed cases (n = 1, c = 0, c = n, k = n, ties, empty answers,
// answers equal up to an equivalence) and their mean over prompts.
#include "verifiers/sample_metrics.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"

namespace aha::verifiers {
namespace {

// Samples whose answer is `answers[i]`, correct when it is `right`.
std::vector<GradedSample> graded(const std::vector<std::string>& answers, const std::string& right) {
    std::vector<GradedSample> out;
    for (const std::string& a : answers) out.push_back({a, a == right});
    return out;
}

// "1/2", "2/4" and "0.5" are one value; so are "1/4" and "0.25".
bool same_value(const std::string& a, const std::string& b) {
    static const std::map<std::string, int> value = {{"1/2", 2}, {"2/4", 2}, {"0.5", 2}, {"1/4", 4}, {"0.25", 4}};
    return value.at(a) == value.at(b);
}

TEST(PassAtKTest, HandComputed) {
    // n = 5, c = 2: 1 - C(3,k)/C(5,k) = 1 - 3/5, 1 - 3/10, 1 - 1/10, then 1 (n - c < k).
    EXPECT_DOUBLE_EQ(pass_at_k(5, 2, 1), 0.4);
    EXPECT_DOUBLE_EQ(pass_at_k(5, 2, 2), 0.7);
    EXPECT_DOUBLE_EQ(pass_at_k(5, 2, 3), 0.9);
    EXPECT_EQ(pass_at_k(5, 2, 4), 1.0);
    EXPECT_EQ(pass_at_k(5, 2, 5), 1.0);
    // n = 4, c = 1: k / 4.
    for (int k = 1; k <= 4; ++k) EXPECT_DOUBLE_EQ(pass_at_k(4, 1, k), k / 4.0);
    // n = 1; c = 0; c = n; k = n.
    EXPECT_EQ(pass_at_k(1, 0, 1), 0.0);
    EXPECT_EQ(pass_at_k(1, 1, 1), 1.0);
    for (int k = 1; k <= 8; ++k) EXPECT_EQ(pass_at_k(8, 0, k), 0.0);
    for (int k = 1; k <= 8; ++k) EXPECT_EQ(pass_at_k(8, 8, k), 1.0);
    EXPECT_EQ(pass_at_k(8, 1, 8), 1.0);
}

TEST(PassAtKTest, StableWhereBinomialsOverflow) {
    // 1 - C(97,10)/C(100,10) = 1 - (90*89*88)/(100*99*98).
    EXPECT_NEAR(pass_at_k(100, 3, 10), 1.0 - 704880.0 / 970200.0, 1e-15);
    // C(1000, 100) is about 6e139: 1 - C(990,100)/C(1000,100) = 0.653072285207994 (Python's math.comb).
    EXPECT_NEAR(pass_at_k(1000, 10, 100), 0.653072285207994, 1e-13);
    EXPECT_NEAR(pass_at_k(1000, 1, 500), 0.5, 1e-15);
}

TEST(PassAtKTest, RejectsImpossibleArguments) {
    EXPECT_THROW(pass_at_k(4, 1, 0), Error);
    EXPECT_THROW(pass_at_k(4, 1, 5), Error);
    EXPECT_THROW(pass_at_k(4, 5, 1), Error);
    EXPECT_THROW(pass_at_k(4, -1, 1), Error);
    EXPECT_THROW(pass_at_k(0, 0, 1), Error);
}

TEST(SampleMetricsTest, OneSample) {
    SampleMetrics right = sample_metrics(graded({"7"}, "7"));
    EXPECT_EQ(right.n, 1);
    EXPECT_EQ(right.prompts, 1);
    EXPECT_EQ(right.mean_at_n, 1.0);
    EXPECT_EQ(right.pass_at, (std::vector<double>{1.0}));
    EXPECT_EQ(right.maj_at, (std::vector<double>{1.0}));
    SampleMetrics wrong = sample_metrics(graded({"8"}, "7"));
    EXPECT_EQ(wrong.mean_at_n, 0.0);
    EXPECT_EQ(wrong.pass_at, (std::vector<double>{0.0}));
    EXPECT_EQ(wrong.maj_at, (std::vector<double>{0.0}));
    EXPECT_THROW(sample_metrics({}), Error);
}

TEST(SampleMetricsTest, NoneAndAllCorrect) {
    SampleMetrics none = sample_metrics(graded({"1", "2", "2"}, "7"));
    EXPECT_EQ(none.mean_at_n, 0.0);
    EXPECT_EQ(none.pass_at, (std::vector<double>{0, 0, 0}));
    EXPECT_EQ(none.maj_at, (std::vector<double>{0, 0, 0}));
    SampleMetrics all = sample_metrics(graded({"7", "7", "7"}, "7"));
    EXPECT_EQ(all.mean_at_n, 1.0);
    EXPECT_EQ(all.pass_at, (std::vector<double>{1, 1, 1}));
    EXPECT_EQ(all.maj_at, (std::vector<double>{1, 1, 1}));
}

TEST(SampleMetricsTest, MajorityOfTheFirstKWithTiesToTheFirstSeen) {
    // Right answer "2". k=1: {1}; k=2: 1:1, "1" seen first; k=3: "2" leads 2:1; k=4 and 5: 2:2, "1" first.
    SampleMetrics m = sample_metrics(graded({"1", "2", "2", "1", "3"}, "2"));
    EXPECT_EQ(m.maj_at, (std::vector<double>{0, 0, 1, 0, 0}));
    EXPECT_DOUBLE_EQ(m.mean_at_n, 0.4);
    EXPECT_DOUBLE_EQ(m.pass_at[1], 0.7);
    MajorityVote v = majority_vote(graded({"1", "2", "2", "1", "3"}, "2"), 3, same_text);
    EXPECT_EQ(v.sample, 1);
    EXPECT_EQ(v.votes, 2);
    EXPECT_TRUE(v.correct);
    MajorityVote tie = majority_vote(graded({"1", "2", "2", "1", "3"}, "2"), 5, same_text);
    EXPECT_EQ(tie.sample, 0);
    EXPECT_EQ(tie.votes, 2);
    EXPECT_FALSE(tie.correct);
    // The same answers in the other order: now the right one is seen first and wins the ties.
    EXPECT_EQ(sample_metrics(graded({"2", "1", "1", "2", "3"}, "2")).maj_at, (std::vector<double>{1, 1, 0, 1, 1}));
    EXPECT_THROW(majority_vote(graded({"1"}, "1"), 2, same_text), Error);
    EXPECT_THROW(majority_vote(graded({"1"}, "1"), 0, same_text), Error);
}

TEST(SampleMetricsTest, EmptyAnswersNeverWin) {
    // Three samples without an answer outnumber the one right answer, which still wins.
    EXPECT_EQ(sample_metrics(graded({"", "", "5", ""}, "5")).maj_at, (std::vector<double>{0, 0, 1, 1}));
    MajorityVote nobody = majority_vote(graded({"", ""}, "5"), 2, same_text);
    EXPECT_EQ(nobody.sample, -1);
    EXPECT_EQ(nobody.votes, 0);
    EXPECT_FALSE(nobody.correct);
    // An empty answer that a verifier marked correct still casts no vote.
    EXPECT_EQ(sample_metrics({{"", true}, {"4", false}}).maj_at, (std::vector<double>{0, 0}));
}

TEST(SampleMetricsTest, AnswersEqualUpToTheEquivalence) {
    // Right: the value 1/2. With the equivalence, "1/2", "0.5", "2/4" are one group of 3 by k = 4.
    std::vector<GradedSample> s = {{"0.25", false}, {"1/2", true}, {"0.5", true}, {"2/4", true}};
    EXPECT_EQ(sample_metrics(s, same_value).maj_at, (std::vector<double>{0, 0, 1, 1}));
    MajorityVote v = majority_vote(s, 4, same_value);
    EXPECT_EQ(v.sample, 1);
    EXPECT_EQ(v.votes, 3);
    // As text, all four differ: every k is a tie, won by "0.25".
    EXPECT_EQ(sample_metrics(s).maj_at, (std::vector<double>{0, 0, 0, 0}));
    // "1/4" joins "0.25": 2:2 at k = 4 with the wrong group first.
    std::vector<GradedSample> t = {{"0.25", false}, {"1/2", true}, {"1/4", false}, {"0.5", true}};
    EXPECT_EQ(sample_metrics(t, same_value).maj_at, (std::vector<double>{0, 0, 0, 0}));
}

TEST(MeanOverPromptsTest, MeansOfPerPromptValuesUpToTheSmallestN) {
    SampleMetrics a = sample_metrics(graded({"7", "8"}, "7"));       // mean 1/2, pass 1/2, 1; maj 1, 1
    SampleMetrics b = sample_metrics(graded({"8", "7", "7"}, "7"));  // mean 2/3, pass 2/3, 1, 1; maj 0, 0, 1
    SampleMetrics m = mean_over_prompts({a, b});
    EXPECT_EQ(m.prompts, 2);
    EXPECT_EQ(m.n, 2);
    EXPECT_DOUBLE_EQ(m.mean_at_n, (0.5 + 2.0 / 3.0) / 2);
    ASSERT_EQ(m.pass_at.size(), 2u);
    EXPECT_DOUBLE_EQ(m.pass_at[0], (0.5 + 2.0 / 3.0) / 2);
    EXPECT_DOUBLE_EQ(m.pass_at[1], 1.0);
    EXPECT_EQ(m.maj_at, (std::vector<double>{0.5, 0.5}));
    // Means of means weigh each by its prompts, so they compose.
    SampleMetrics c = sample_metrics(graded({"8", "8"}, "7"));
    SampleMetrics nested = mean_over_prompts({m, c});
    SampleMetrics flat = mean_over_prompts({a, b, c});
    EXPECT_EQ(nested.prompts, 3);
    EXPECT_DOUBLE_EQ(nested.mean_at_n, flat.mean_at_n);
    EXPECT_DOUBLE_EQ(nested.pass_at[0], flat.pass_at[0]);
    EXPECT_DOUBLE_EQ(nested.maj_at[1], 1.0 / 3.0);
    // Nothing to average: no prompts and no values; empty means are skipped.
    EXPECT_EQ(mean_over_prompts({}).prompts, 0);
    EXPECT_TRUE(mean_over_prompts({}).pass_at.empty());
    EXPECT_EQ(mean_over_prompts({SampleMetrics{}, a}).n, 2);
}

TEST(MeanOverPromptsTest, OneSampleEachIsExactlyTheShareCorrect) {
    // 170 of 208 prompts right with n = 1: pass@1, maj@1 and mean@1 are the same double as 170.0 / 208,
    // as the accuracy printed beside them (summing 1/208 one prompt at a time would drift in the last bits).
    std::vector<SampleMetrics> per_prompt;
    for (int p = 0; p < 208; ++p) per_prompt.push_back(sample_metrics(graded({p < 170 ? "7" : "8"}, "7")));
    SampleMetrics m = mean_over_prompts(per_prompt);
    EXPECT_EQ(m.mean_at_n, 170.0 / 208);
    EXPECT_EQ(m.pass_at, (std::vector<double>{170.0 / 208}));
    EXPECT_EQ(m.maj_at, (std::vector<double>{170.0 / 208}));
}

}  // namespace
}  // namespace aha::verifiers
