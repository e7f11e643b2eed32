// Evaluation on a fixed prompt set; see evaluate.h.
#include "rl/evaluate.h"

#include <algorithm>
#include <thread>

namespace aha::rl {

Json EvalResult::to_json() const {
    return {{"count", count},
            {"accuracy", accuracy},
            {"format_rate", format_rate},
            {"mean_length", mean_length},
            {"mean_length_correct", mean_length_correct},
            {"mean_length_wrong", mean_length_wrong}};
}

EvalResult evaluate(policy::CausalLM& model,
                    const tokenizer::ModelText& text,
                    const std::vector<PromptItem>& items,
                    const rollout::SamplingParams& sampling,
                    const verifiers::RewardConfig& reward,
                    int batch_size) {
    EvalResult r;
    rollout::EngineConfig config = GrpoConfig::default_engine();
    config.max_num_seqs = std::max(1, batch_size);
    rollout::Engine engine(model, config, text.eos_ids);
    double len_correct = 0, len_wrong = 0, n_correct = 0, n_wrong = 0;
    for (size_t begin = 0; begin < items.size(); begin += batch_size) {
        size_t end = std::min(items.size(), begin + static_cast<size_t>(batch_size));
        std::vector<PromptItem> batch(items.begin() + begin, items.begin() + end);
        ScoredRollout s = sample_and_score(engine, text, batch, 1, sampling, named_reward(reward),
                                           static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
        auto lengths = s.rollout.completion_valid.sum(1);
        for (size_t i = 0; i < batch.size(); ++i) {
            bool ok = s.results[i].verdict == verifiers::Verdict::kCorrect;
            double len = lengths[static_cast<int64_t>(i)].item<double>();
            r.completions.push_back(s.completions[i]);
            r.correct.push_back(ok);
            r.format_rate += s.results[i].format_ok;
            r.mean_length += len;
            (ok ? len_correct : len_wrong) += len;
            (ok ? n_correct : n_wrong) += 1;
        }
    }
    r.count = static_cast<int>(items.size());
    if (r.count) {
        r.accuracy = n_correct / r.count;
        r.format_rate /= r.count;
        r.mean_length /= r.count;
    }
    r.mean_length_correct = n_correct ? len_correct / n_correct : 0;
    r.mean_length_wrong = n_wrong ? len_wrong / n_wrong : 0;
    return r;
}

}  // namespace aha::rl
