// pass@k, mean@n and maj@k over one prompt's samples, and their mean over prompts; see sample_metrics.h.
#include "verifiers/sample_metrics.h"

#include <algorithm>

#include "core/error.h"

namespace aha::verifiers {

namespace {

// The groups of equivalent answers among the samples added so far, in order of first appearance.
class Ballot {
public:
    Ballot(const std::vector<GradedSample>& samples, const AnswerEquivalence& same) : samples_(samples), same_(same) {}

    void add(int i) {
        const std::string& answer = samples_[i].answer;
        if (answer.empty()) return;
        for (Group& g : groups_) {
            if (same_(samples_[g.first].answer, answer)) {
                ++g.votes;
                return;
            }
        }
        groups_.push_back({i, 1});
    }

    // The largest group; among tied ones, the first seen (strict > keeps the earlier).
    MajorityVote winner() const {
        MajorityVote v;
        for (const Group& g : groups_) {
            if (g.votes > v.votes) v = {g.first, g.votes, samples_[g.first].correct};
        }
        return v;
    }

private:
    struct Group {
        int first;  // index of the group's first sample
        int votes;
    };
    const std::vector<GradedSample>& samples_;
    const AnswerEquivalence& same_;
    std::vector<Group> groups_;
};

void require_k(int n, int k, const char* what) {
    if (k < 1 || k > n) {
        throw Error(std::string(what) + ": k = " + std::to_string(k) + ", expected 1..n with n = " + std::to_string(n));
    }
}

}  // namespace

bool same_text(const std::string& a, const std::string& b) { return a == b; }

double pass_at_k(int n, int c, int k) {
    require_k(n, k, "pass@k");
    if (c < 0 || c > n) throw Error("pass@k: c = " + std::to_string(c) + " correct, expected 0..n with n = " + std::to_string(n));
    if (n - c < k) return 1.0;
    // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (i - k) / i; every factor is in (0, 1].
    double fail = 1.0;
    for (int i = n - c + 1; i <= n; ++i) fail *= 1.0 - static_cast<double>(k) / i;
    return 1.0 - fail;
}

MajorityVote majority_vote(const std::vector<GradedSample>& samples, int k, const AnswerEquivalence& same) {
    require_k(static_cast<int>(samples.size()), k, "maj@k");
    Ballot ballot(samples, same);
    for (int i = 0; i < k; ++i) ballot.add(i);
    return ballot.winner();
}

SampleMetrics sample_metrics(const std::vector<GradedSample>& samples, const AnswerEquivalence& same) {
    if (samples.empty()) throw Error("sample metrics: no samples");
    SampleMetrics m;
    m.prompts = 1;
    m.n = static_cast<int>(samples.size());
    const int c = static_cast<int>(std::count_if(samples.begin(), samples.end(), [](const GradedSample& s) { return s.correct; }));
    m.mean_at_n = static_cast<double>(c) / m.n;
    // The first k samples' groups are the first k-1 samples' groups plus sample k-1, so one pass serves every k.
    Ballot ballot(samples, same);
    for (int k = 1; k <= m.n; ++k) {
        m.pass_at.push_back(pass_at_k(m.n, c, k));
        ballot.add(k - 1);
        m.maj_at.push_back(ballot.winner().correct ? 1.0 : 0.0);
    }
    return m;
}

SampleMetrics mean_over_prompts(const std::vector<SampleMetrics>& per_prompt) {
    SampleMetrics mean;
    for (const SampleMetrics& m : per_prompt) {
        if (m.prompts == 0) continue;  // an empty mean
        mean.n = mean.prompts == 0 ? m.n : std::min(mean.n, m.n);
        mean.prompts += m.prompts;
    }
    if (mean.prompts == 0) return mean;
    mean.pass_at.assign(mean.n, 0.0);
    mean.maj_at.assign(mean.n, 0.0);
    for (const SampleMetrics& m : per_prompt) {
        if (m.prompts == 0) continue;
        // Sums weighted by prompt counts, divided once: a mean of 0/1 values is then exactly count / prompts.
        const double w = static_cast<double>(m.prompts);
        mean.mean_at_n += w * m.mean_at_n;
        for (int k = 0; k < mean.n; ++k) {
            mean.pass_at[k] += w * m.pass_at[k];
            mean.maj_at[k] += w * m.maj_at[k];
        }
    }
    const double total = static_cast<double>(mean.prompts);
    mean.mean_at_n /= total;
    for (int k = 0; k < mean.n; ++k) {
        mean.pass_at[k] /= total;
        mean.maj_at[k] /= total;
    }
    return mean;
}

}  // namespace aha::verifiers
