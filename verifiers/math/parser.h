// LaTeX and plain-text maths to expression trees, by a recursive-descent parser over a small tokenizer.
// Work is bounded: nesting depth and input length are capped, and nothing is evaluated here.
#pragma once

#include <optional>
#include <string>

#include "verifiers/math/expr.h"

namespace aha::verifiers::math {

struct ParseResult {
    ExprPtr expr;       // null when the text is not maths this parser understands
    std::string error;  // why, when expr is null
};

// Parses one answer (already extracted: no surrounding $...$ or \boxed{}); see normalize.h for the
// clean-up applied first. A top-level comma or semicolon list is a set ("1, 2" -> {1, 2}); an
// entire "1,000" or "1 000" is a number.
ParseResult parse_latex(const std::string& text);

// The clean-up before parsing: spacing commands, \left/\right, \dfrac, degree marks, $ signs, trailing
// units and \text{} labels (units.h lists the unit words), "and"/"or" between answers.
std::string normalize_latex(const std::string& text);

}  // namespace aha::verifiers::math
