// `aha tokenize`; see tokenize.h.
#include "cli/tokenize.h"

#include <istream>
#include <ostream>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace aha::cli {

namespace {

Json parse_line(const std::string& line, const std::string& where) {
    try {
        return Json::parse(line);
    } catch (const Json::exception& e) {
        throw FormatError(where + ": not a JSON line (" + std::string(e.what()) + ")");
    }
}

}  // namespace

int run_tokenize(const TokenizeOptions& options, std::istream& in, std::ostream& out) {
    const tokenizer::Tokenizer tok = tokenizer::Tokenizer::from_file(options.tokenizer);
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        const std::string where = "stdin:" + std::to_string(number);
        if (options.decode) {
            const Json j = parse_line(line, where);
            if (!j.is_object() || !j.contains("ids") || !j["ids"].is_array()) throw FormatError(where + ": expected {\"ids\": [...]}");
            std::vector<int> ids;
            for (const auto& id : j["ids"]) {
                if (!id.is_number_integer()) throw FormatError(where + ": ids must be integers, got " + id.dump());
                const int64_t v = id.get<int64_t>();
                if (v < 0 || v >= tok.vocab_size()) {
                    throw FormatError(where + ": token id " + std::to_string(v) + " is not in the vocabulary (0.." +
                                      std::to_string(tok.vocab_size() - 1) + ")");
                }
                ids.push_back(static_cast<int>(v));
            }
            try {
                out << Json{{"text", tok.decode(ids, options.skip_special_tokens)}}.dump() << '\n';
            } catch (const FormatError& e) {
                throw FormatError(where + ": " + e.what());
            }
            continue;
        }
        std::string text = line;
        if (options.jsonl) {
            const Json j = parse_line(line, where);
            if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
                throw FormatError(where + ": expected a JSON object with a \"text\" string");
            }
            text = j["text"].get<std::string>();
        }
        out << Json{{"ids", tok.encode(text, options.add_special_tokens)}}.dump() << '\n';
    }
    out.flush();
    return 0;
}

}  // namespace aha::cli
