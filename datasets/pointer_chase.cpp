// Multi-function pointer chasing; see pointer_chase.h.
#include "datasets/pointer_chase.h"

#include <algorithm>

#include "core/config_fields.h"

namespace aha::datasets {

namespace {

const ConfigFields<PointerChaseConfig>& task_fields() {
    static const ConfigFields<PointerChaseConfig> f = {
        field("num_symbols", &PointerChaseConfig::num_symbols, in_range(2, 52)),
        field("num_functions", &PointerChaseConfig::num_functions, in_range(1, 9)),
        field("heldout_starts", &PointerChaseConfig::heldout_starts, at_least(1)),
        field("seed", &PointerChaseConfig::seed),
        field("train_hops", &PointerChaseConfig::train_hops, ValueCheck<std::vector<int>>([](const std::vector<int>& hops) {
                  if (hops.empty()) return "expected a non-empty list";
                  for (int k : hops) {
                      if (k < 1 || k > 16) return "each hop count must be in 1..16";
                  }
                  return "";
              })),
    };
    return f;
}

}  // namespace

PointerChaseConfig PointerChaseConfig::from_json(ConfigReader r) {
    PointerChaseConfig c;
    read_fields(task_fields(), r, c);
    r.finish();
    return c;
}

Json PointerChaseConfig::to_json() const {
    Json j = Json::object();
    write_fields(task_fields(), *this, j);
    return j;
}

void PointerChaseConfig::validate(const std::string& path) const {
    check_fields(task_fields(), *this, path);
    config_require(heldout_starts < num_symbols, path + ".heldout_starts", "expected 1..num_symbols-1");
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
