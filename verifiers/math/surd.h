// Exact values of the irrational answers most common in maths problems: sums of rational multiples of
// square roots and powers of pi, q1 sqrt(m1) pi^k1 + q2 sqrt(m2) pi^k2 + ... with each m squarefree.
// That form is canonical (square roots of distinct squarefree integers are linearly independent over the
// rationals, and pi is transcendental), so two such values are equal exactly when their forms are, with
// no tolerance: 2 sqrt 2 = sqrt 8, 1/(sqrt 2 - 1) = 1 + sqrt 2, sqrt(3/4) pi = pi sqrt(3) / 2.
// Anything outside the form (cube roots, logs, a sum under a root) is left to the numeric comparison.
#pragma once

#include <map>
#include <optional>
#include <utility>

#include "verifiers/math/evaluate.h"

namespace aha::verifiers::math {

// (squarefree radicand, power of pi) -> nonzero rational coefficient.
using Surd = std::map<std::pair<mpz_class, long>, mpq_class>;

// The exact form of a constant expression, or nullopt when it leaves the form (or the budget is spent).
std::optional<Surd> surd_value(const Expr& e, Budget& budget);

}  // namespace aha::verifiers::math
