// `aha verify math` (and the dispatch to `aha verify code`); see verify.h.
#include "cli/verify.h"

#include <cstdio>
#include <ostream>

#include "cli/args.h"
#include "cli/verify_code.h"
#include "core/error.h"

namespace aha::cli {

namespace {

const char* kVerifyHelp =
    "usage: aha verify math (--jsonl FILE | --gold TEXT --pred TEXT) [options]\n"
    "       aha verify code --jsonl FILE [options]   (programs against tests in the sandbox; aha verify code --help)\n"
    "Grades predictions (an answer, or a whole completion) against gold answers. Writes one JSON line per input,\n"
    "in order: correct, answer_found, extracted_gold, extracted_pred, parsed_gold, parsed_pred, reason.\n"
    "  --jsonl FILE        lines of {\"gold\": text, \"pred\": text}\n"
    "  --gold/--pred TEXT  one pair\n"
    "  --precision N       decimal places both sides are rounded to when either is a decimal (6)\n"
    "  --rel-tol X         relative tolerance of numeric comparisons (radicals, pi; 1e-40)\n"
    "  --not-strict        a prediction may rename the gold's variables\n"
    "  --relation-as-set   a predicted inequality may match a gold interval\n";

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
    read_json_lines(o.jsonl, [&](const Json& j, const std::string& where) {
        if (!j.is_object() || !j.contains("gold") || !j.contains("pred") || !j["gold"].is_string() || !j["pred"].is_string()) {
            throw FormatError(where + ": expected {\"gold\": text, \"pred\": text}");
        }
        write(out, verify_math(j["gold"].get<std::string>(), j["pred"].get<std::string>(), o.math));
    });
    return 0;
}

int verify_command(int argc, char** argv, std::ostream& out) {
    if (argc >= 2 && std::string(argv[1]) == "code") return verify_code_command(argc - 1, argv + 1, out);
    VerifyOptions o;
    std::string verifier;
    bool help = false;
    auto& compare = o.math.compare;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&] { return flag_value(argc, argv, i); };
        if (arg == "--help" || arg == "-h") {
            help = true;
        } else if (arg == "--jsonl") {
            o.jsonl = value();
        } else if (arg == "--gold") {
            o.gold = value();
        } else if (arg == "--pred") {
            o.pred = value();
        } else if (arg == "--precision") {
            const double p = to_number(arg, value());
            if (p != static_cast<int>(p) || p < 0 || p > 30) throw ConfigError("--precision: expected an integer in 0..30");
            compare.float_rounding = static_cast<int>(p);
        } else if (arg == "--rel-tol") {
            compare.rel_tol = to_number(arg, value());
            if (!(compare.rel_tol > 0 && compare.rel_tol < 1)) throw ConfigError("--rel-tol: expected in (0, 1)");
        } else if (arg == "--not-strict") {
            compare.strict = false;
        } else if (arg == "--relation-as-set") {
            compare.relation_as_set = true;
        } else if (!arg.empty() && arg[0] == '-') {
            throw ConfigError("unknown option " + arg + " for 'aha verify'", "see aha verify --help");
        } else if (verifier.empty()) {
            verifier = arg;
        } else {
            throw ConfigError("unexpected argument " + arg, "see aha verify --help");
        }
    }
    if (help) {
        std::fputs(kVerifyHelp, stdout);
        return 0;
    }
    if (verifier != "math") {
        throw ConfigError(verifier.empty() ? "missing the verifier: expected 'aha verify math'"
                                           : "unknown verifier '" + verifier + "'; valid: math, code",
                          "see aha verify --help");
    }
    return run_verify(o, out);
}

}  // namespace aha::cli
