// Multi-function pointer chasing: the procedural RL task of the tiny R1-Zero demo. A world of F random
// functions over S single-character symbols; a k-hop problem asks for f_dk(...f_d1(x)). Writing each hop
// out turns the problem into lookups a model can memorise, so the task rewards step-by-step reasoning.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/config.h"

namespace aha::datasets {

struct PointerChaseConfig {
    int num_symbols = 52;        // symbols are the characters a-z then A-Z, so at most 52
    int num_functions = 4;       // functions are named '1'..'9', so at most 9
    int heldout_starts = 13;     // start symbols reserved for evaluation, never used in RL prompts
    int64_t seed = 1234;         // draws the functions and the held-out starts
    std::vector<int> train_hops = {2, 2, 3};  // k of each RL prompt is drawn uniformly from this list

    static PointerChaseConfig from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

// One k-hop problem.
struct PointerChaseProblem {
    std::vector<int> functions;  // d1..dk, 0-based function indices
    int start = 0;               // symbol index
    int answer = 0;              // symbol index of f_dk(...f_d1(start))
    std::string question;        // "?23x": '?', the function names in order, the start symbol
    std::string answer_text;     // the answer symbol as text
};

class PointerChaseTask {
 public:
    explicit PointerChaseTask(const PointerChaseConfig& config);

    const PointerChaseConfig& config() const { return config_; }
    char symbol(int index) const;
    char function_name(int f) const { return static_cast<char>('1' + f); }
    int apply(int f, int x) const { return table_[f][x]; }
    bool is_heldout_start(int x) const { return heldout_[x]; }
    const std::vector<int>& train_starts() const { return train_starts_; }
    const std::vector<int>& heldout_starts() const { return heldout_starts_; }

    PointerChaseProblem make(const std::vector<int>& functions, int start) const;

    // An RL problem: a train start and k drawn from config.train_hops.
    PointerChaseProblem sample_train(std::mt19937_64& rng) const;

    // Every problem with `hops` hops over the held-out starts, in a fixed order; when there are more than
    // `max_count`, a fixed (seeded) subset of that size.
    std::vector<PointerChaseProblem> heldout(int hops, int max_count) const;

    // The hop text "2x=y;" for function f applied to symbol x.
    std::string hop_text(int f, int x) const;

    // The ideal reasoning for a problem: every hop written out. For tests and documentation only; it never
    // enters pretraining or rewards.
    std::string worked_chain(const PointerChaseProblem& p) const;

    // Every character the task's text can contain (symbols, function names, punctuation).
    std::string alphabet() const;

    // Counts the leading hops of `reasoning` that are correct consecutive steps of `p` ("2x=y;3y=z;").
    int correct_hops_written(const PointerChaseProblem& p, const std::string& reasoning) const;

 private:
    PointerChaseConfig config_;
    std::vector<std::vector<int>> table_;  // [function][symbol] -> symbol
    std::vector<bool> heldout_;
    std::vector<int> train_starts_;
    std::vector<int> heldout_starts_;
};

}  // namespace aha::datasets
