// Values of expression trees: exact rationals where the arithmetic allows (GMP), 256-bit complex
// numerics (MPC) otherwise. Every evaluation spends from a budget, and powers, factorials and binomials whose
// results would be huge are refused from size estimates before anything is computed.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "verifiers/math/bigcomplex.h"
#include "verifiers/math/expr.h"

namespace aha::verifiers::math {

using NumericEnv = std::map<std::string, BigComplex>;
using Symbols = std::set<std::string>;

struct Budget {
    long steps = 200000;  // node visits left for this verification
    bool spend(long n = 1) { return (steps -= n) >= 0; }
    bool exhausted() const { return steps < 0; }
};

using RationalEnv = std::map<std::string, mpq_class>;

// The exact rational value, when the tree only uses rational arithmetic (integer powers, perfect
// roots, factorials and binomials of small integers, percentages) with its symbols taken from `env`;
// nullopt otherwise.
std::optional<mpq_class> exact_value(const Expr& e, Budget& budget, const RationalEnv* env = nullptr);

// The numeric value with free symbols taken from `env`; nullopt for collections, relations, text and
// unknown symbols. May be infinite or NaN (the caller decides).
std::optional<BigComplex> numeric_value(const Expr& e, const NumericEnv& env, Budget& budget);

// A finite \sum or \prod (Function sum/prod: body, variable, lower, upper) by its terms.
std::optional<BigComplex> series(const Expr& e, const NumericEnv& env, Budget& budget);

// The free symbols of a tree (constants excluded; a sum's own variable is bound, not free).
void free_symbols(const Expr& e, Symbols& out);

// r rounded half-to-even to `digits` decimal places, as a rational.
mpq_class round_decimal(const mpq_class& r, int digits);

}  // namespace aha::verifiers::math
