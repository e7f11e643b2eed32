// Tokenizer benchmark (scripts/bench/tokenizer.sh): load time of a tokenizer.json and single-thread encode
// throughput over a corpus of {"text": ...} lines; prints one JSON line.
// usage: aha_bench_tokenizer TOKENIZER_JSON CORPUS_JSONL REPEATS
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "tokenizer/tokenizer.h"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s TOKENIZER_JSON CORPUS_JSONL REPEATS\n", argv[0]);
        return 2;
    }
    try {
        std::vector<std::string> texts;
        std::ifstream in(argv[2]);
        std::string line;
        size_t bytes = 0;
        while (std::getline(in, line)) {
            texts.push_back(aha::Json::parse(line)["text"].get<std::string>());
            bytes += texts.back().size();
        }
        aha::Stopwatch load_clock;
        const auto tok = aha::tokenizer::Tokenizer::from_file(argv[1]);
        const double load = load_clock.seconds();
        const int repeats = std::atoi(argv[3]);
        double best = 1e30;
        size_t tokens = 0;
        for (int r = 0; r < repeats; ++r) {
            tokens = 0;
            aha::Stopwatch clock;
            for (const auto& t : texts) tokens += tok.encode(t).size();
            best = std::min(best, clock.seconds());
        }
        std::printf("{\"impl\": \"aha\", \"load_seconds\": %.3f, \"mb_per_second\": %.2f, \"tokens\": %zu}\n", load,
                    bytes / 1e6 / best, tokens);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "aha_bench_tokenizer: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
