// Constructors and rendering of expression trees; see expr.h.
#include "verifiers/math/expr.h"

namespace aha::verifiers::math {

ExprPtr number(const mpq_class& value, bool decimal) {
    auto e = std::make_shared<Expr>();
    e->op = Op::kNumber;
    e->number = value;
    e->number.canonicalize();
    e->decimal = decimal;
    return e;
}

ExprPtr symbol(const std::string& name) {
    auto e = std::make_shared<Expr>();
    e->op = Op::kSymbol;
    e->name = name;
    return e;
}

ExprPtr constant(const std::string& name) {
    auto e = std::make_shared<Expr>();
    e->op = Op::kConstant;
    e->name = name;
    return e;
}

ExprPtr node(Op op, std::vector<ExprPtr> args, const std::string& name) {
    auto e = std::make_shared<Expr>();
    e->op = op;
    e->args = std::move(args);
    e->name = name;
    return e;
}

namespace {

// a op b with nested same-op nodes flattened.
ExprPtr flat(Op op, ExprPtr a, ExprPtr b) {
    std::vector<ExprPtr> args;
    for (const auto& x : {a, b}) {
        if (x->op == op) {
            args.insert(args.end(), x->args.begin(), x->args.end());
        } else {
            args.push_back(x);
        }
    }
    return node(op, std::move(args));
}

}  // namespace

ExprPtr add(ExprPtr a, ExprPtr b) { return flat(Op::kAdd, std::move(a), std::move(b)); }
ExprPtr mul(ExprPtr a, ExprPtr b) { return flat(Op::kMul, std::move(a), std::move(b)); }

ExprPtr neg(ExprPtr a) {
    if (a->op == Op::kNumber) return number(-a->number, a->decimal);
    return mul(number(-1), std::move(a));
}

ExprPtr power(ExprPtr base, ExprPtr exponent) { return node(Op::kPow, {std::move(base), std::move(exponent)}); }

ExprPtr divide(ExprPtr a, ExprPtr b) { return mul(std::move(a), power(std::move(b), number(-1))); }

namespace {

std::string join_args(const Expr& e, const std::string& sep) {
    std::string s;
    for (size_t i = 0; i < e.args.size(); ++i) s += (i ? sep : "") + to_string(*e.args[i]);
    return s;
}

}  // namespace

std::string to_string(const Expr& e) {
    switch (e.op) {
        case Op::kNumber:
            if (e.decimal) return e.number.get_str() + " (decimal)";
            return e.number.get_str();
        case Op::kSymbol:
        case Op::kConstant:
            return e.name;
        case Op::kText:
            return "\"" + e.name + "\"";
        case Op::kAdd:
            return "(" + join_args(e, " + ") + ")";
        case Op::kMul:
            return "(" + join_args(e, "*") + ")";
        case Op::kPow:
            return to_string(*e.args[0]) + "^" + to_string(*e.args[1]);
        case Op::kFunction:
            return e.name + "(" + join_args(e, ", ") + ")";
        case Op::kFactorial:
            return to_string(*e.args[0]) + "!";
        case Op::kPercent:
            return to_string(*e.args[0]) + "%";
        case Op::kPlusMinus:
            return to_string(*e.args[0]) + " ± " + to_string(*e.args[1]);
        case Op::kRelation: {
            std::string s = to_string(*e.args[0]);
            for (size_t i = 0; i < e.relations.size(); ++i) s += " " + e.relations[i] + " " + to_string(*e.args[i + 1]);
            return s;
        }
        case Op::kSet:
            return "{" + join_args(e, ", ") + "}";
        case Op::kTuple:
        case Op::kPair:
            return "(" + join_args(e, ", ") + ")";
        case Op::kInterval:
            return std::string(e.left_closed ? "[" : "(") + join_args(e, ", ") + (e.right_closed ? "]" : ")");
        case Op::kMatrix: {
            std::string s = "[";
            for (int r = 0; r < e.rows; ++r) {
                s += r ? "; " : "";
                for (int c = 0; c < e.cols; ++c) s += (c ? ", " : "") + to_string(*e.args[r * e.cols + c]);
            }
            return s + "]";
        }
    }
    return "?";
}

size_t size(const Expr& e) {
    size_t n = 1;
    for (const auto& a : e.args) n += size(*a);
    return n;
}

}  // namespace aha::verifiers::math
