// Mathematical equivalence of a predicted answer to the gold one. Exact where possible (rationals),
// numeric with a relative tolerance otherwise, and by evaluation at random points for expressions with
// free variables (two different polynomials of degree d agree at a random point with probability
// about d / |range|: Schwartz-Zippel). Collections compare element-wise (sets in any order).
#pragma once

#include <string>

#include "verifiers/math/evaluate.h"
#include "verifiers/math/expr.h"

namespace aha::verifiers::math {

struct CompareOptions {
    // A decimal on either side: both values rounded half-to-even to this many decimal places (math-verify's
    // float_rounding), so 1/3 equals 0.333333 but not 0.3333.
    int float_rounding = 6;
    // Values without decimals that are not exact rationals (radicals, pi), evaluated with 256-bit
    // mantissas (~77 digits): |a - b| <= rel_tol * max(1, |a|, |b|). Tight enough that e^(pi sqrt(163))
    // is not the integer 640320^3 + 744 (3e-30 apart, relative); loose enough for the rounding of
    // thousands of operations and cancellations of 30 digits.
    double rel_tol = 1e-40;
    // false: the prediction may name its variables differently (f(y) for f(x)) when there is one of each.
    bool strict = true;
    // A gold inequality always matches the interval it describes (0 < x < 1 against (0, 1)); with this,
    // a predicted inequality also matches a gold interval (math-verify's allow_set_relation_comp).
    bool relation_as_set = false;
};

// True when `pred` is equivalent to `gold`. `reason` says why not (or how it matched).
bool equivalent(const ExprPtr& gold, const ExprPtr& pred, const CompareOptions& options, Budget& budget,
                std::string& reason);

}  // namespace aha::verifiers::math
