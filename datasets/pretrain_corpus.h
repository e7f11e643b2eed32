// The pretraining corpus of the tiny R1-Zero demo: it teaches the task's vocabulary (single-hop facts and
// one-hop questions) and never contains a multi-hop chain, a multi-hop prompt or a held-out problem.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "core/config.h"
#include "datasets/pointer_chase.h"

namespace aha::datasets {

struct PretrainCorpusConfig {
    double fact_list_weight = 0.5;  // share of lines that are lists of facts "2x=y;3a=b;..." in random order
    int min_facts = 4;              // facts per list line
    int max_facts = 10;
    // One-hop questions "?2x<think>...</think><answer>y</answer>" make up the rest of the corpus. Their
    // <think> holds, with probability distractor_prob, the hop and 1-2 unrelated facts (never chained);
    // otherwise the hop alone with probability hop_written_prob, else nothing (the answer at once).
    double distractor_prob = 0.0;
    bool distractors_after = false;  // unrelated facts may also follow the hop (else they all precede it)
    double hop_written_prob = 0.5;
    // Fallback of the design note, off by default: the share of lines holding a full multi-hop chain, in a
    // question format and answer marker that differ from the RL prompt (train starts only).
    double chain_fraction = 0.0;
    std::vector<int> chain_hops = {2, 2, 3};  // k of each fallback chain line, drawn uniformly

    static PretrainCorpusConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

// One line of the corpus (special tokens written as their text, e.g. "<think>"), without <bos>/<eos>.
std::string sample_pretrain_line(const PointerChaseTask& task,
                                 const PretrainCorpusConfig& config,
                                 std::mt19937_64& rng);

// True when some fact of a fact sequence "2x=y;3y=z;" starts from the previous fact's result (a chain).
bool contains_chain(const std::string& facts);

}  // namespace aha::datasets
