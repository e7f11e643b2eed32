// The expression tree of a parsed math answer: exact numbers (GMP rationals, decimals remember that they
// were written as decimals), symbols, operators, relations and collections. Trees are immutable and
// shared; subtraction is a + (-1)b and division a * b^-1, so equivalence has few shapes to consider.
#pragma once

#include <gmpxx.h>

#include <memory>
#include <string>
#include <vector>

namespace aha::verifiers::math {

enum class Op {
    kNumber,     // number, decimal
    kSymbol,     // name: a single letter (lowercased), possibly with a subscript "x_1"
    kConstant,   // name: pi, e, i, inf
    kAdd,        // args
    kMul,        // args
    kPow,        // args[0] ^ args[1]
    kFunction,   // name(args): sin, cos, tan, ..., log (args[1] = base), ln, exp, abs, floor, ceil
    kFactorial,  // args[0]!
    kPercent,    // args[0] % : equals args[0] / 100, and also args[0] itself (a "28" answer to a percent question)
    kPlusMinus,  // args[0] ± args[1]: the two values {a + b, a - b}
    kRelation,   // args[0] name[0] args[1] name[1] args[2] ...; relation names in `relations`
    kSet,        // {args}, unordered
    kTuple,      // (args), ordered
    kInterval,   // args[0], args[1] with left_closed / right_closed; (a, b) is kept as kPair
    kPair,       // (a, b): an open interval or an ordered pair; which one is decided by what it is compared with
    kMatrix,     // rows x cols, args row-major
    kText,       // name: free text that is not maths (a word answer), lowercased, spaces removed
};

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
    Op op = Op::kNumber;
    mpq_class number;       // kNumber
    bool decimal = false;   // kNumber written with a decimal point (compared after rounding)
    std::string name;       // kSymbol, kConstant, kFunction, kText
    std::vector<std::string> relations;  // kRelation: "=", "<", "<=", ">", ">=", "!="
    std::vector<ExprPtr> args;
    bool left_closed = false, right_closed = false;  // kInterval
    int rows = 0, cols = 0;                           // kMatrix
};

ExprPtr number(const mpq_class& value, bool decimal = false);
ExprPtr symbol(const std::string& name);
ExprPtr constant(const std::string& name);
ExprPtr node(Op op, std::vector<ExprPtr> args, const std::string& name = "");
ExprPtr add(ExprPtr a, ExprPtr b);
ExprPtr mul(ExprPtr a, ExprPtr b);
ExprPtr neg(ExprPtr a);
ExprPtr divide(ExprPtr a, ExprPtr b);
ExprPtr power(ExprPtr base, ExprPtr exponent);

// A readable rendering for verdicts ("(1/2, 3]", "x = 2*pi"), not LaTeX.
std::string to_string(const Expr& e);

// Number of nodes (the work bound of evaluation is proportional to it).
size_t size(const Expr& e);

}  // namespace aha::verifiers::math
