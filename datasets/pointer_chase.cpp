// Multi-function pointer chasing; see pointer_chase.h.
#include "datasets/pointer_chase.h"

#include <algorithm>

namespace aha::datasets {

PointerChaseConfig PointerChaseConfig::from_json(ConfigReader r) {
    PointerChaseConfig c;
    r.read("num_symbols", c.num_symbols)
        .read("num_functions", c.num_functions)
        .read("heldout_starts", c.heldout_starts)
        .read("seed", c.seed)
        .read("train_hops", c.train_hops);
    r.finish();
    return c;
}

Json PointerChaseConfig::to_json() const {
    return {{"num_symbols", num_symbols},
            {"num_functions", num_functions},
            {"heldout_starts", heldout_starts},
            {"seed", seed},
            {"train_hops", train_hops}};
}

void PointerChaseConfig::validate(const std::string& path) const {
    config_require(num_symbols >= 2 && num_symbols <= 52, path + ".num_symbols", "expected 2..52");
    config_require(num_functions >= 1 && num_functions <= 9, path + ".num_functions", "expected 1..9");
    config_require(heldout_starts >= 1 && heldout_starts < num_symbols,
                   path + ".heldout_starts",
                   "expected 1..num_symbols-1");
    config_require(!train_hops.empty(), path + ".train_hops", "expected a non-empty list");
    for (int k : train_hops) {
        config_require(k >= 1 && k <= 16, path + ".train_hops", "each hop count must be in 1..16");
    }
}

PointerChaseTask::PointerChaseTask(const PointerChaseConfig& config) : config_(config) {
    config_.validate("task");
    std::mt19937_64 rng(static_cast<uint64_t>(config_.seed));
    const int n = config_.num_symbols;
    table_.assign(config_.num_functions, std::vector<int>(n));
    std::uniform_int_distribution<int> any(0, n - 1);
    for (auto& row : table_) {
        // A random function (not a permutation) with no fixed points, so that no hop is a no-op.
        for (int x = 0; x < n; ++x) {
            int y;
            do {
                y = any(rng);
            } while (y == x);
            row[x] = y;
        }
    }
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    heldout_.assign(n, false);
    for (int i = 0; i < config_.heldout_starts; ++i) heldout_[order[i]] = true;
    for (int x = 0; x < n; ++x) (heldout_[x] ? heldout_starts_ : train_starts_).push_back(x);
}

char PointerChaseTask::symbol(int index) const {
    return index < 26 ? static_cast<char>('a' + index) : static_cast<char>('A' + index - 26);
}

PointerChaseProblem PointerChaseTask::make(const std::vector<int>& functions, int start) const {
    PointerChaseProblem p;
    p.functions = functions;
    p.start = start;
    p.question = "?";
    int x = start;
    for (int f : functions) {
        p.question += function_name(f);
        x = apply(f, x);
    }
    p.question += symbol(start);
    p.answer = x;
    p.answer_text = std::string(1, symbol(x));
    return p;
}

PointerChaseProblem PointerChaseTask::sample_train(std::mt19937_64& rng) const {
    const auto& hops = config_.train_hops;
    int k = hops[std::uniform_int_distribution<size_t>(0, hops.size() - 1)(rng)];
    std::vector<int> fs(k);
    std::uniform_int_distribution<int> any_f(0, config_.num_functions - 1);
    for (int& f : fs) f = any_f(rng);
    int start = train_starts_[std::uniform_int_distribution<size_t>(0, train_starts_.size() - 1)(rng)];
    return make(fs, start);
}

std::vector<PointerChaseProblem> PointerChaseTask::heldout(int hops, int max_count) const {
    std::vector<PointerChaseProblem> all;
    int64_t sequences = 1;
    for (int i = 0; i < hops; ++i) sequences *= config_.num_functions;
    for (int64_t s = 0; s < sequences; ++s) {
        std::vector<int> fs(hops);
        int64_t code = s;
        for (int i = hops - 1; i >= 0; --i) {
            fs[i] = static_cast<int>(code % config_.num_functions);
            code /= config_.num_functions;
        }
        for (int x : heldout_starts_) all.push_back(make(fs, x));
    }
    if (static_cast<int>(all.size()) > max_count) {
        std::mt19937_64 rng(static_cast<uint64_t>(config_.seed) * 7919 + hops);
        std::shuffle(all.begin(), all.end(), rng);
        all.resize(max_count);
    }
    return all;
}

std::string PointerChaseTask::hop_text(int f, int x) const {
    return std::string{function_name(f), symbol(x), '=', symbol(apply(f, x)), ';'};
}

std::string PointerChaseTask::worked_chain(const PointerChaseProblem& p) const {
    std::string out;
    int x = p.start;
    for (int f : p.functions) {
        out += hop_text(f, x);
        x = apply(f, x);
    }
    return out;
}

std::string PointerChaseTask::alphabet() const {
    std::string chars;
    for (int i = 0; i < 52; ++i) chars += symbol(i);
    for (int f = 0; f < 9; ++f) chars += function_name(f);
    chars += "?=;:!";
    return chars;
}

int PointerChaseTask::correct_hops_written(const PointerChaseProblem& p, const std::string& reasoning) const {
    int x = p.start;
    int written = 0;
    for (size_t i = 0; i < p.functions.size(); ++i) {
        std::string hop = hop_text(p.functions[i], x);
        if (reasoning.compare(i * hop.size(), hop.size(), hop) != 0) break;
        ++written;
        x = apply(p.functions[i], x);
    }
    return written;
}

}  // namespace aha::datasets
