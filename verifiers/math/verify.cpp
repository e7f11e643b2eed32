// The math verifier's top level; see verify.h.
#include "verifiers/math/verify.h"

#include <cctype>

#include "verifiers/math/parser.h"

namespace aha::verifiers::math {

namespace {

struct Side {
    std::string text;  // the candidate used (the first one when none parsed)
    ExprPtr expr;      // null when no candidate parsed
    std::string error;
    bool found = false;
};

// The text without whitespace, for the same-text fallback of answers that do not parse.
std::string squeeze(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (!std::isspace(static_cast<unsigned char>(c))) out += c;
    }
    return out;
}

Side read_side(const std::string& s, const ExtractOptions& options) {
    Side side;
    for (const auto& c : answer_candidates(s, options)) {
        if (!side.found) {
            side.found = true;
            side.text = c.text;
        }
        ParseResult r = parse_latex(c.text);
        if (r.expr) {
            side.text = c.text;
            side.expr = r.expr;
            return side;
        }
        if (side.error.empty()) side.error = r.error;
    }
    return side;
}

}  // namespace

Json MathVerdict::to_json() const {
    return {{"correct", correct},
            {"answer_found", answer_found},
            {"extracted_gold", extracted_gold},
            {"extracted_pred", extracted_pred},
            {"parsed_gold", parsed_gold},
            {"parsed_pred", parsed_pred},
            {"reason", reason}};
}

MathVerdict verify_math(const std::string& gold, const std::string& pred, const MathVerifyOptions& options) {
    MathVerdict v;
    Side g = read_side(gold, options.extract), p = read_side(pred, options.extract);
    v.extracted_gold = g.text;
    v.extracted_pred = p.text;
    v.answer_found = p.found;
    if (g.expr) v.parsed_gold = to_string(*g.expr);
    if (p.expr) v.parsed_pred = to_string(*p.expr);
    if (!p.found) {
        v.reason = "no answer found in the prediction";
    } else if (g.expr && p.expr) {
        Budget budget{options.budget_steps};
        v.correct = equivalent(g.expr, p.expr, options.compare, budget, v.reason);
    } else if (!g.text.empty() && squeeze(normalize_latex(g.text)) == squeeze(normalize_latex(p.text))) {
        v.correct = true;
        v.reason = "same text (not parsed: " + (g.expr ? p.error : g.error) + ")";
    } else {
        v.reason = "not parsed: " + (g.expr ? "prediction: " + p.error : "gold: " + g.error);
    }
    return v;
}

}  // namespace aha::verifiers::math
