// Metrics over n graded samples of one prompt (pass@k, mean@n, maj@k for every k in 1..n) and their mean
// over prompts. Definitions:
//   pass@k  the unbiased estimator of Chen et al. 2021 (eq. 1): 1 - C(n-c, k) / C(n, k), c correct samples
//   mean@n  c / n, the expected accuracy of one sample (equal to pass@1)
//   maj@k   majority vote over the FIRST k samples (not an expectation over k-subsets), as
//           Qwen2.5-Math's evaluation/rm_maj_eval.py and lighteval's MajAtK do: the answers are grouped by
//           an equivalence predicate, the largest group wins, and maj@k is whether that group's first
//           sample is correct. A tie goes to the group seen first (the one whose first sample is
//           earliest): Python's max/most_common/stable sort in both references. Samples without an
//           answer ("") never vote (both references let "" vote); when none has one, maj@k is 0.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace aha::verifiers {

// One sample's graded answer.
struct GradedSample {
    std::string answer;    // the extracted answer, "" when none was found
    bool correct = false;  // the verifier's verdict
};

// Whether two extracted answers are the same answer (math equivalence, say). Called as
// same(group's first answer, new answer); it need not be transitive: a sample joins the first group
// (in order of first appearance) whose first answer it matches.
using AnswerEquivalence = std::function<bool(const std::string&, const std::string&)>;

// Exact string equality, the equivalence of lighteval's default maj@k.
bool same_text(const std::string& a, const std::string& b);

// pass@k for c correct among n samples, computed as the product 1 - prod_{i=n-c+1}^{n} (1 - k/i) (no
// binomials, so no overflow), and 1 when n - c < k. Throws aha::Error unless 0 <= c <= n and 1 <= k <= n.
double pass_at_k(int n, int c, int k);

struct MajorityVote {
    int sample = -1;       // the winning group's first sample, -1 when no sample has an answer
    int votes = 0;         // the winning group's size
    bool correct = false;  // that first sample's verdict
};

// The vote of maj@k over samples[0..k). Throws aha::Error unless 1 <= k <= samples.size().
MajorityVote majority_vote(const std::vector<GradedSample>& samples, int k, const AnswerEquivalence& same);

struct SampleMetrics {
    int prompts = 0;              // how many prompts the values average (1 for one prompt)
    int n = 0;                    // samples per prompt; for a mean, the smallest n among the prompts
    double mean_at_n = 0;         // c / n (for a mean: of each prompt's own c / n)
    std::vector<double> pass_at;  // pass_at[k - 1] = pass@k, k = 1..n
    std::vector<double> maj_at;   // maj_at[k - 1] = maj@k, k = 1..n (0 or 1 for one prompt)
};

// All of the metrics of one prompt's samples, in order (maj@k depends on it). Throws aha::Error when
// there are no samples. The predicate is called O(n * groups) times in all.
SampleMetrics sample_metrics(const std::vector<GradedSample>& samples, const AnswerEquivalence& same = same_text);

// The mean over prompts of the per-prompt values, each entry weighted by its `prompts` (so means of means
// compose). pass@k and maj@k are kept for k up to the smallest n, so that every k averages the same
// prompts. No entries: prompts 0 and no values.
SampleMetrics mean_over_prompts(const std::vector<SampleMetrics>& per_prompt);

}  // namespace aha::verifiers
