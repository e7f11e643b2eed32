// `aha verify math`; see verify.h.
#include "cli/verify.h"

#include <fstream>
#include <ostream>

#include "core/error.h"

namespace aha::cli {

namespace {

void require_utf8(const std::string& text, const std::string& what) {
    try {
        (void)Json(text).dump();
    } catch (const Json::type_error&) {
        throw ConfigError(what + ": not valid UTF-8");
    }
}

void write(std::ostream& out, const verifiers::math::MathVerdict& v) {
    out << v.to_json().dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
}

}  // namespace

int run_verify(const VerifyOptions& o, std::ostream& out) {
    using verifiers::math::verify_math;
    if (o.jsonl.empty()) {
        if (!o.gold || !o.pred) throw ConfigError("expected --jsonl FILE, or both --gold and --pred", "see aha verify --help");
        require_utf8(*o.gold, "--gold");
        require_utf8(*o.pred, "--pred");
        write(out, verify_math(*o.gold, *o.pred, o.math));
        return 0;
    }
    if (o.gold || o.pred) throw ConfigError("--gold/--pred and --jsonl are exclusive", "see aha verify --help");
    std::ifstream in(o.jsonl, std::ios::binary);
    if (!in) throw IoError(o.jsonl + ": cannot open for reading");
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const std::string where = o.jsonl + ":" + std::to_string(n);
        Json j;
        try {
            j = Json::parse(line);
        } catch (const Json::parse_error&) {
            throw FormatError(where + ": invalid JSON (or not UTF-8); expected {\"gold\": text, \"pred\": text}");
        }
        if (!j.is_object() || !j.contains("gold") || !j.contains("pred") || !j["gold"].is_string() || !j["pred"].is_string()) {
            throw FormatError(where + ": expected {\"gold\": text, \"pred\": text}");
        }
        write(out, verify_math(j["gold"].get<std::string>(), j["pred"].get<std::string>(), o.math));
    }
    return 0;
}

}  // namespace aha::cli
