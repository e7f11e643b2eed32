// The pretraining corpus of the tiny R1-Zero demo; see pretrain_corpus.h.
#include "datasets/pretrain_corpus.h"

namespace aha::datasets {

PretrainCorpusConfig PretrainCorpusConfig::from_json(ConfigReader r) {
    PretrainCorpusConfig c;
    r.read("fact_list_weight", c.fact_list_weight)
        .read("min_facts", c.min_facts)
        .read("max_facts", c.max_facts)
        .read("hop_written_prob", c.hop_written_prob)
        .read("distractor_prob", c.distractor_prob)
        .read("distractors_after", c.distractors_after)
        .read("chain_fraction", c.chain_fraction)
        .read("chain_hops", c.chain_hops);
    r.finish();
    return c;
}

Json PretrainCorpusConfig::to_json() const {
    return {{"fact_list_weight", fact_list_weight},
            {"min_facts", min_facts},
            {"max_facts", max_facts},
            {"hop_written_prob", hop_written_prob},
            {"distractor_prob", distractor_prob},
            {"distractors_after", distractors_after},
            {"chain_fraction", chain_fraction},
            {"chain_hops", chain_hops}};
}

void PretrainCorpusConfig::validate(const std::string& path) const {
    auto prob = [&](double p, const char* key) {
        config_require(p >= 0.0 && p <= 1.0, path + "." + key, "expected a probability in [0, 1]");
    };
    prob(fact_list_weight, "fact_list_weight");
    prob(hop_written_prob, "hop_written_prob");
    prob(distractor_prob, "distractor_prob");
    config_require(chain_fraction >= 0.0 && chain_fraction <= 0.05,
                   path + ".chain_fraction",
                   "expected 0..0.05 (a rare behaviour, never the bulk of the corpus)");
    config_require(!chain_hops.empty(), path + ".chain_hops", "expected a non-empty list");
    for (int k : chain_hops) config_require(k >= 2 && k <= 8, path + ".chain_hops", "each hop count must be in 2..8");
    config_require(min_facts >= 1 && max_facts >= min_facts && max_facts <= 64,
                   path + ".min_facts/max_facts",
                   "expected 1 <= min_facts <= max_facts <= 64");
}

namespace {

struct Fact {
    int f, x, y;
};

Fact random_fact(const PointerChaseTask& task, std::mt19937_64& rng) {
    std::uniform_int_distribution<int> any_f(0, task.config().num_functions - 1);
    std::uniform_int_distribution<int> any_x(0, task.config().num_symbols - 1);
    int f = any_f(rng), x = any_x(rng);
    return {f, x, task.apply(f, x)};
}

// A fact whose input is neither `avoid_input` (the previous result) and whose result does not feed `next`.
Fact unchained_fact(const PointerChaseTask& task, std::mt19937_64& rng, int prev_result, int next_input) {
    for (;;) {
        Fact fact = random_fact(task, rng);
        if (fact.x != prev_result && fact.y != next_input) return fact;
    }
}

std::string fact_list(const PointerChaseTask& task, const PretrainCorpusConfig& c, std::mt19937_64& rng) {
    int n = std::uniform_int_distribution<int>(c.min_facts, c.max_facts)(rng);
    std::string out;
    int prev = -1;
    for (int i = 0; i < n; ++i) {
        Fact fact = unchained_fact(task, rng, prev, -1);
        out += task.hop_text(fact.f, fact.x);
        prev = fact.y;
    }
    return out;
}

std::string one_hop_question(const PointerChaseTask& task, const PretrainCorpusConfig& c, std::mt19937_64& rng) {
    Fact q = random_fact(task, rng);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::string think;
    if (u(rng) < c.distractor_prob) {
        // 1-2 unrelated facts around the real hop; no fact may start from the previous fact's result.
        int n = std::uniform_int_distribution<int>(1, 2)(rng);
        int pos = c.distractors_after ? std::uniform_int_distribution<int>(0, n)(rng) : n;
        std::vector<Fact> facts;
        int prev = -1;
        for (int i = 0; i <= n; ++i) {
            if (i == pos) {
                if (q.x == prev) return one_hop_question(task, c, rng);  // rare: redraw the question
                facts.push_back(q);
            } else {
                int next_input = (i + 1 == pos) ? q.x : -1;
                facts.push_back(unchained_fact(task, rng, prev, next_input));
            }
            prev = facts.back().y;
        }
        for (const Fact& f : facts) think += task.hop_text(f.f, f.x);
    } else if (u(rng) < c.hop_written_prob) {
        think = task.hop_text(q.f, q.x);
    }
    std::string answer(1, task.symbol(q.y));
    return "?" + std::string(1, task.function_name(q.f)) + task.symbol(q.x) + "<think>" + think +
           "</think><answer>" + answer + "</answer>";
}

// Fallback only: "?23x:2x=y;3y=z;!z" over train starts, in a format the RL prompt never uses.
std::string chain_line(const PointerChaseTask& task, const PretrainCorpusConfig& c, std::mt19937_64& rng) {
    int k = c.chain_hops[std::uniform_int_distribution<size_t>(0, c.chain_hops.size() - 1)(rng)];
    std::vector<int> fs(k);
    for (int& f : fs) f = std::uniform_int_distribution<int>(0, task.config().num_functions - 1)(rng);
    const auto& starts = task.train_starts();
    int start = starts[std::uniform_int_distribution<size_t>(0, starts.size() - 1)(rng)];
    PointerChaseProblem p = task.make(fs, start);
    return p.question + ":" + task.worked_chain(p) + "!" + p.answer_text;
}

}  // namespace

std::string sample_pretrain_line(const PointerChaseTask& task,
                                 const PretrainCorpusConfig& config,
                                 std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (config.chain_fraction > 0 && u(rng) < config.chain_fraction) return chain_line(task, config, rng);
    if (u(rng) < config.fact_list_weight) return fact_list(task, config, rng);
    return one_hop_question(task, config, rng);
}

bool contains_chain(const std::string& facts) {
    // Facts are 5 characters: f x = y ;
    for (size_t i = 5; i + 5 <= facts.size(); i += 5) {
        if (facts[i + 1] == facts[i - 2]) return true;
    }
    return false;
}

}  // namespace aha::datasets
