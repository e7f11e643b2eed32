// Tokenizer and recursive-descent parser for answers; see parser.h. Grammar, loosest first:
//   list     := relation ((',' | ';') relation)*       a top-level or bracketed list
//   relation := union (relop union)*
//   union    := additive (('\cup' | '\cap') additive)*
//   additive := [sign] term (('+' | '-' | '\pm' | '\mp') term)*
//   term     := unary (('*' | '\cdot' | '\times' | '/' | '\div' | ':' | implicit) unary)*
//   unary    := ('-' | '+') unary | postfix
//   postfix  := primary ('^' exponent | '!' | '%' | '_' subscript | "'" | degree)*
//   function := name ['^' exponent] ('(' list ')' | unary postfix*)   the bare argument: \sin 2x = sin(2x)
#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

#include "verifiers/math/parser.h"
#include "verifiers/math/lexer.h"
#include "verifiers/math/text.h"

namespace aha::verifiers::math {

namespace {

using detail::Fail;
using detail::T;
using detail::Token;
using detail::parse_decimal;
using detail::tokenize;

constexpr size_t kMaxLength = 20000;
constexpr int kMaxDepth = 200;

const std::map<std::string, std::string>& relation_commands() {
    static const std::map<std::string, std::string> kMap = {
        {"le", "<="}, {"leq", "<="}, {"leqslant", "<="}, {"ge", ">="}, {"geq", ">="}, {"geqslant", ">="},
        {"lt", "<"},  {"gt", ">"},   {"ne", "!="},       {"neq", "!="}, {"approx", "="}, {"equiv", "="},
        {"in", "="},  {"simeq", "="}, {"cong", "="}};
    return kMap;
}

const std::vector<std::string>& function_names() {
    static const std::vector<std::string> kNames = {
        "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
        "log", "ln", "lg", "exp", "gcd", "lcm", "max", "min", "det"};
    return kNames;
}

class Parser {
 public:
    explicit Parser(std::vector<Token> tokens) : t_(without_stray_degree_marks(std::move(tokens))) {}

    ExprPtr top() {
        ExprPtr e = list_until(T::kEnd, "");
        if (peek().kind != T::kEnd) throw Fail("unexpected '" + peek().text + "'");
        return e;
    }

 private:
    const Token& peek(long ahead = 0) const {
        long at = static_cast<long>(i_) + ahead;
        return t_[static_cast<size_t>(std::clamp(at, 0L, static_cast<long>(t_.size()) - 1))];
    }
    bool at(T kind, const std::string& text) const { return peek().kind == kind && peek().text == text; }
    bool sym(const std::string& text) const { return at(T::kSymbol, text); }
    bool cmd(const std::string& text) const { return at(T::kCommand, text); }
    Token next() { return t_[std::min(i_++, t_.size() - 1)]; }
    void expect_symbol(const std::string& text) {
        if (!sym(text)) throw Fail("expected '" + text + "'");
        ++i_;
    }

    // A degree mark belongs to the operand before it (30^\circ, (a+b)^\circ); one at the start or after an
    // operator or an opening bracket marks nothing and is dropped, as all degree marks once were.
    static std::vector<Token> without_stray_degree_marks(std::vector<Token> tokens) {
        std::vector<Token> out;
        for (auto& k : tokens) {
            if (k.kind == T::kCommand && k.text == "degree") {
                const bool after_operand = !out.empty() && (out.back().kind != T::kSymbol || out.back().text == ")" ||
                                                            out.back().text == "]" || out.back().text == "}" ||
                                                            out.back().text == "|" || out.back().text == "!" ||
                                                            out.back().text == "'");
                if (!after_operand) continue;
            }
            out.push_back(std::move(k));
        }
        return out;
    }

    struct Depth {
        explicit Depth(int& d) : d_(d) {
            if (++d_ > kMaxDepth) throw Fail("nested too deeply");
        }
        ~Depth() { --d_; }
        int& d_;
    };

    // Counts a nesting while in scope (also when a Fail unwinds it: subscripts retry after one).
    struct Inside {
        Inside(int& n, bool on) : n_(n), on_(on) { n_ += on_; }
        ~Inside() { n_ -= on_; }
        int& n_;
        bool on_;
    };

    bool at_close() const {
        return peek().kind == T::kEnd || sym(")") || sym("]") || sym("}") || cmd("}") || sym("|") || cmd("rfloor") ||
               cmd("rceil") || sym("&") || cmd("\\") || cmd("end");
    }

    // Items of a list up to (not consuming) a closer: groups split by ';', items by ','.
    std::vector<std::vector<ExprPtr>> items() {
        std::vector<std::vector<ExprPtr>> groups(1);
        while (true) {
            groups.back().push_back(relation());
            if (sym(",")) {
                ++i_;
            } else if (sym(";")) {
                ++i_;
                groups.emplace_back();
            } else {
                return groups;
            }
        }
    }

    // A list at the top level or in braces: one item is itself, several a set (of tuples for ';' groups).
    ExprPtr list_until(T, const std::string&) {
        auto groups = items();
        if (groups.size() == 1 && groups[0].size() == 1) return groups[0][0];
        std::vector<ExprPtr> members;
        for (auto& g : groups) {
            if (groups.size() > 1 && g.size() > 1) {
                members.push_back(node(Op::kTuple, g));
            } else {
                members.insert(members.end(), g.begin(), g.end());
            }
        }
        return node(Op::kSet, members);
    }

    ExprPtr union_() {
        ExprPtr e = additive();
        while (cmd("cup") || cmd("cap") || cmd("setminus")) {
            std::string op = next().text;
            e = node(Op::kFunction, {e, additive()}, op == "cup" ? "union" : op == "cap" ? "intersection" : "setminus");
        }
        return e;
    }

    std::string relop() {
        if (sym("=")) return (++i_, "=");
        if (sym("<") || sym(">") || sym("!")) {
            std::string op = next().text;
            if (sym("=")) return (++i_, op + "=");
            if (op == "!") throw Fail("unexpected '!'");
            return op;
        }
        if (peek().kind == T::kCommand) {
            auto it = relation_commands().find(peek().text);
            if (it != relation_commands().end()) return (++i_, it->second);
        }
        return "";
    }

    ExprPtr relation() {
        ExprPtr first = union_();
        auto e = std::make_shared<Expr>();
        e->op = Op::kRelation;
        e->args.push_back(first);
        for (std::string op = relop(); !op.empty(); op = relop()) {
            bool approx = peek(-1).kind == T::kCommand && peek(-1).text == "approx";
            ExprPtr rhs = union_();
            // a \approx b: the approximation is dropped, keeping the exact value (or b after a bare name).
            if (approx) {
                if (e->args.size() == 1 && e->args[0]->op == Op::kSymbol) {
                    e->args[0] = rhs;
                }
                continue;
            }
            e->relations.push_back(op);
            e->args.push_back(rhs);
        }
        if (e->relations.empty()) return e->args[0];
        return e;
    }

    ExprPtr additive() {
        ExprPtr e;
        if (cmd("pm") || cmd("mp")) {
            bool minus = next().text == "mp";
            ExprPtr t = term();
            e = node(Op::kPlusMinus, {number(0), minus ? neg(t) : t});
        } else {
            e = term();
        }
        while (true) {
            if (sym("+")) {
                ++i_;
                e = add(e, term());
            } else if (sym("-")) {
                ++i_;
                e = add(e, neg(term()));
            } else if (cmd("pm") || cmd("mp")) {
                bool minus = next().text == "mp";
                ExprPtr t = term();
                e = node(Op::kPlusMinus, {e, minus ? neg(t) : t});
            } else {
                return e;
            }
        }
    }

    // True when the next token can start a factor of an implicit product.
    bool starts_factor() const {
        const Token& k = peek();
        if (k.kind == T::kNumber || k.kind == T::kLetter || k.kind == T::kText) return true;
        if (k.kind == T::kSymbol) return k.text == "(";
        if (k.kind != T::kCommand) return false;
        if (relation_commands().count(k.text)) return false;
        for (const char* stop : {"cdot", "times", "div", "pm", "mp", "cup", "cap", "setminus", "end", "}", "\\", "rfloor",
                                 "rceil", ",", "right", "over"}) {
            if (k.text == stop) return false;
        }
        return true;
    }

    static bool is_integer(const ExprPtr& e) { return e->op == Op::kNumber && !e->decimal && e->number.get_den() == 1; }

    ExprPtr term() {
        ExprPtr e = unary();
        while (true) {
            if (sym("*") || cmd("cdot") || cmd("times")) {
                ++i_;
                e = mul(e, unary());
            } else if (sym("/") || cmd("div") || sym(":")) {
                ++i_;
                e = divide(e, unary());
            } else if (starts_factor()) {
                bool frac_next = cmd("frac");
                ExprPtr f = unary();
                // A mixed number: an integer followed by a fraction of integers, 2\frac{1}{2} = 5/2.
                if (frac_next && is_integer(e) && f->op == Op::kNumber && f->number > 0 && f->number < 1) {
                    e = number(e->number < 0 ? mpq_class(e->number - f->number) : mpq_class(e->number + f->number));
                } else {
                    e = mul(e, f);
                }
            } else {
                return e;
            }
        }
    }

    ExprPtr unary() {
        Depth d(depth_);
        if (sym("-")) return (++i_, neg(unary()));
        if (sym("+")) return (++i_, unary());
        return postfix();
    }

    // The argument of ^, _, \sqrt, \frac: a brace group, or a single token (x^2, \frac12).
    ExprPtr argument() {
        if (sym("{")) {
            ++i_;
            ExprPtr e = list_until(T::kSymbol, "}");
            expect_symbol("}");
            return e;
        }
        const Token& k = peek();
        if (k.kind == T::kNumber && k.text.size() > 1 && k.text.find('.') == std::string::npos) {
            // \frac12: one digit per argument.
            Token tok = next();
            t_.insert(t_.begin() + i_, Token{T::kNumber, tok.text.substr(1)});
            return number(mpq_class(tok.text[0] - '0'));
        }
        if (sym("-")) return (++i_, neg(argument()));
        return primary();
    }

    // A subscript is a label (x_{\max}, a_{n+1}): parsed when it is maths, else kept as its raw tokens.
    ExprPtr subscript() {
        const size_t start = i_;
        try {
            return argument();
        } catch (const Fail&) {
            i_ = start;
            if (!sym("{")) throw;
        }
        std::string raw;
        int depth = 0;
        do {
            const Token& k = next();
            if (k.kind == T::kEnd) throw Fail("unclosed subscript");
            if (k.kind == T::kSymbol && k.text == "{") ++depth;
            if (k.kind == T::kSymbol && k.text == "}") --depth;
            raw += k.text;
        } while (depth > 0);
        return symbol(raw);
    }

    ExprPtr postfix() {
        ExprPtr e = primary();
        while (true) {
            if (sym("^")) {
                ++i_;
                e = power(e, argument());
            } else if (sym("!")) {
                if (peek(1).kind == T::kSymbol && peek(1).text == "=") return e;  // "!=" is a relation
                ++i_;
                e = node(Op::kFactorial, {e});
            } else if (sym("%")) {
                ++i_;
                e = node(Op::kPercent, {e});
            } else if (sym("_")) {
                ++i_;
                ExprPtr sub = subscript();
                if (e->op == Op::kSymbol) {
                    e = symbol(e->name + "_" + to_string(*sub));
                } else if (e->op != Op::kNumber) {  // a number's base subscript (204_5) is dropped
                    throw Fail("subscript on an expression");
                }
            } else if (cmd("degree")) {
                // 30^\circ: radians inside a trigonometric argument (\sin 30^\circ = 1/2); elsewhere the
                // mark is dropped (an angle answer 30^\circ against 30).
                ++i_;
                if (trig_depth_ > 0) e = mul(e, mul(number(mpq_class(1, 180)), constant("pi")));
            } else if (sym("'")) {
                ++i_;
                if (e->op != Op::kSymbol) throw Fail("prime on an expression");
                e = symbol(e->name + "'");
            } else {
                return e;
            }
        }
    }

    ExprPtr bracketed(const std::string& open) {
        auto groups = items();
        bool close_paren = sym(")"), close_bracket = sym("]");
        if (!close_paren && !close_bracket) throw Fail("unclosed '" + open + "'");
        ++i_;
        std::vector<ExprPtr> all;
        for (auto& g : groups) all.insert(all.end(), g.begin(), g.end());
        if (all.size() == 1 && groups.size() == 1) {
            if (open == "(" && close_paren) return all[0];
            if (open == "[" && close_bracket) return all[0];
            throw Fail("mismatched brackets");
        }
        if (all.size() == 2 && groups.size() == 1) {
            if (open == "(" && close_paren) return node(Op::kPair, all);
            auto e = std::make_shared<Expr>();
            e->op = Op::kInterval;
            e->args = all;
            e->left_closed = open == "[";
            e->right_closed = close_bracket;
            return e;
        }
        if ((open == "(" && close_paren) || (open == "[" && close_bracket)) return node(Op::kTuple, all);
        throw Fail("mismatched brackets");
    }

    ExprPtr matrix(const std::string& env) {
        if (env == "array" && sym("{")) i_ = i_ + 1, skip_until_brace();
        std::vector<std::vector<ExprPtr>> rows(1);
        while (!cmd("end")) {
            if (peek().kind == T::kEnd) throw Fail("unclosed matrix");
            rows.back().push_back(additive());
            if (sym("&")) {
                ++i_;
            } else if (cmd("\\")) {
                ++i_;
                if (!cmd("end")) rows.emplace_back();
            } else if (!cmd("end")) {
                throw Fail("unexpected token in matrix");
            }
        }
        ++i_;
        expect_symbol("{");
        while (!sym("}") && peek().kind != T::kEnd) ++i_;
        expect_symbol("}");
        auto e = std::make_shared<Expr>();
        e->op = Op::kMatrix;
        e->rows = static_cast<int>(rows.size());
        e->cols = static_cast<int>(rows[0].size());
        for (auto& r : rows) {
            if (static_cast<int>(r.size()) != e->cols) throw Fail("ragged matrix");
            e->args.insert(e->args.end(), r.begin(), r.end());
        }
        // The bracket kind (pmatrix, bmatrix, Bmatrix, matrix, smallmatrix, array) does not change the
        // matrix; bars are notation for its determinant (vmatrix) or norm (Vmatrix), a number.
        if (env == "vmatrix") return node(Op::kFunction, {e}, "det");
        if (env == "Vmatrix") return node(Op::kFunction, {e}, "norm");
        return e;
    }

    void skip_until_brace() {
        while (!sym("}") && peek().kind != T::kEnd) ++i_;
        expect_symbol("}");
    }

    static bool is_trig(const std::string& f) {
        return f == "sin" || f == "cos" || f == "tan" || f == "cot" || f == "sec" || f == "csc";
    }

    bool starts_function() const {
        if (peek().kind != T::kCommand) return false;
        const std::string& c = peek().text;
        return c == "sqrt" || c == "operatorname" ||
               std::find(function_names().begin(), function_names().end(), c) != function_names().end();
    }

    // The argument of a function written without parentheses: the implicit product that follows (the
    // LaTeX convention: \sin 2x is sin(2x), \cos 2\theta is cos(2 theta)), up to an operator, a
    // parenthesis or the next function (\sin x \cos x is sin(x) cos(x)). A brace group delimits it.
    ExprPtr bare_argument() {
        const bool group = sym("{");
        ExprPtr e = unary();
        if (group) return e;
        while (starts_factor() && !sym("(") && !starts_function()) e = mul(e, postfix());
        return e;
    }

    ExprPtr function(const std::string& name) {
        std::string f = name == "lg" ? "log" : name;
        ExprPtr base, exponent;
        if (f == "log" && sym("_")) {
            ++i_;
            base = argument();
        }
        if (sym("^")) {
            ++i_;
            exponent = argument();
        }
        ExprPtr arg;
        {
            Inside trig(trig_depth_, is_trig(f));
            if (sym("(")) {
                ++i_;
                arg = list_until(T::kSymbol, ")");
                expect_symbol(")");
            } else {
                arg = bare_argument();
            }
        }
        std::vector<ExprPtr> args = arg->op == Op::kSet && (f == "gcd" || f == "lcm" || f == "max" || f == "min")
                                        ? arg->args
                                        : std::vector<ExprPtr>{arg};
        if (base) args.push_back(base);
        ExprPtr e = node(Op::kFunction, args, f == "ln" ? "log" : f);
        if (f == "log" && !base) e = node(Op::kFunction, {arg, number(10)}, "log");
        if (exponent) {
            // sin^{-1} x is arcsin x; sin^2 x is (sin x)^2.
            if (exponent->op == Op::kNumber && exponent->number == -1 && f.size() == 3) {
                return node(Op::kFunction, {arg}, "arc" + f);
            }
            e = power(e, exponent);
        }
        return e;
    }

    ExprPtr text(const std::string& raw) {
        std::string t;
        for (char c : raw) {
            if (!std::isspace(static_cast<unsigned char>(c)) && c != '(' && c != ')') {
                t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
        }
        if (t.empty()) throw Fail("empty \\text{}");
        bool numeric = t.find_first_not_of("0123456789.") == std::string::npos && std::isdigit(static_cast<unsigned char>(t[0])) &&
                       std::count(t.begin(), t.end(), '.') <= 1 && t.back() != '.';
        if (numeric) {
            bool decimal = false;
            return number(parse_decimal(t, decimal), decimal);
        }
        if (t.size() == 1 && std::isalpha(static_cast<unsigned char>(t[0]))) return symbol(t);
        return node(Op::kText, {}, t);
    }

    ExprPtr primary() {
        Depth d(depth_);
        Token k = next();
        switch (k.kind) {
            case T::kNumber: {
                bool decimal = false;
                mpq_class v = parse_decimal(k.text, decimal);
                // Scientific notation written with e: 1.5e3, 2e-5.
                if ((at(T::kLetter, "e") || at(T::kLetter, "E")) &&
                    (peek(1).kind == T::kNumber ||
                     (peek(1).kind == T::kSymbol && (peek(1).text == "-" || peek(1).text == "+") && peek(2).kind == T::kNumber))) {
                    ++i_;
                    int sign = 1;
                    if (peek().kind == T::kSymbol) sign = next().text == "-" ? -1 : 1;
                    long exp = std::stol(next().text);
                    if (exp > 1000) throw Fail("exponent too large");
                    mpz_class p;
                    mpz_ui_pow_ui(p.get_mpz_t(), 10, static_cast<unsigned long>(exp));
                    v = sign > 0 ? mpq_class(v * p) : mpq_class(v / p);
                    decimal = true;
                }
                return number(v, decimal);
            }
            case T::kLetter: {
                char c = k.text[0];
                if (c == 'e') return constant("e");
                if (c == 'i') return constant("i");
                return symbol(std::string(1, static_cast<char>(std::tolower(static_cast<unsigned char>(c)))));
            }
            case T::kText:
                return text(k.text);
            case T::kSymbol:
                if (k.text == "(" || k.text == "[") return bracketed(k.text);
                if (k.text == "{") {
                    ExprPtr e = list_until(T::kSymbol, "}");
                    expect_symbol("}");
                    return e;
                }
                if (k.text == "|") {
                    ExprPtr e = additive();
                    expect_symbol("|");
                    return node(Op::kFunction, {e}, "abs");
                }
                throw Fail("unexpected '" + k.text + "'");
            case T::kCommand:
                return command(k.text);
            case T::kEnd:
                throw Fail("unexpected end");
        }
        throw Fail("unexpected token");
    }

    ExprPtr command(const std::string& c) {
        if (c == "frac") {
            ExprPtr a = argument();
            ExprPtr b = argument();
            if (is_integer(a) && is_integer(b) && b->number != 0) return number(a->number / b->number);
            return divide(a, b);
        }
        if (c == "sqrt") {
            ExprPtr index = number(2);
            if (sym("[")) {
                ++i_;
                index = additive();
                expect_symbol("]");
            }
            return power(argument(), divide(number(1), index));
        }
        if (c == "sum" || c == "prod") {
            // \sum_{k=a}^{b} body: Function sum(body, k, a, b); bounds may be symbolic.
            ExprPtr var = symbol("k"), lo = number(0), hi = constant("inf");
            if (sym("_")) {
                ++i_;
                ExprPtr sub = argument();
                if (sub->op != Op::kRelation || sub->relations.size() != 1 || sub->args[0]->op != Op::kSymbol) {
                    throw Fail("\\" + c + " without a k=a lower bound");
                }
                var = sub->args[0];
                lo = sub->args[1];
            }
            if (sym("^")) {
                ++i_;
                hi = argument();
            }
            return node(Op::kFunction, {term(), var, lo, hi}, c);
        }
        if (c == "binom" || c == "dbinom" || c == "tbinom") {
            ExprPtr a = argument();
            return node(Op::kFunction, {a, argument()}, "binom");
        }
        if (c == "{") {
            if (cmd("}")) return (++i_, node(Op::kSet, {}));
            auto groups = items();
            if (!cmd("}")) throw Fail("unclosed \\{");
            ++i_;
            std::vector<ExprPtr> all;
            for (auto& g : groups) all.insert(all.end(), g.begin(), g.end());
            return node(Op::kSet, all);
        }
        if (c == "emptyset" || c == "varnothing") return node(Op::kSet, {});
        if (c == "pi") return constant("pi");
        if (c == "infty" || c == "infinity") return constant("inf");
        if (c == "lfloor" || c == "lceil") {
            ExprPtr e = additive();
            if (!cmd(c == "lfloor" ? "rfloor" : "rceil")) throw Fail("unclosed \\" + c);
            ++i_;
            return node(Op::kFunction, {e}, c == "lfloor" ? "floor" : "ceil");
        }
        if (c == "begin") {
            expect_symbol("{");
            std::string env;
            while (peek().kind == T::kLetter) env += next().text;
            expect_symbol("}");
            return matrix(env);
        }
        if (c == "operatorname") {
            expect_symbol("{");
            std::string name;
            while (peek().kind == T::kLetter) name += next().text;
            expect_symbol("}");
            return function(name);
        }
        for (const auto& f : function_names()) {
            if (c == f) return function(c);
        }
        if (c == "overline" || c == "bar" || c == "vec" || c == "hat" || c == "widehat" || c == "overrightarrow") {
            ExprPtr a = argument();
            return symbol(c + "{" + to_string(*a) + "}");
        }
        if (c == "prime") return symbol("'");
        for (const char* sym_cmd : {"angle", "odot", "hbar", "mho", "ell", "nabla", "partial", "circ", "star", "dagger"}) {
            if (c == sym_cmd) return symbol(c);
        }
        if (c == "dot" || c == "ddot" || c == "tilde" || c == "check" || c == "breve") {
            ExprPtr a = argument();
            return symbol(c + "{" + to_string(*a) + "}");
        }
        if (c == "mathbb") {
            ExprPtr a = argument();
            return symbol("set_" + to_string(*a));
        }
        static const std::vector<std::string> kGreek = {
            "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "kappa",
            "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega", "Gamma",
            "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega"};
        for (const auto& g : kGreek) {
            if (c == g) return symbol(c);
        }
        throw Fail("unsupported command \\" + c);
    }

    std::vector<Token> t_;
    size_t i_ = 0;
    int depth_ = 0;
    int trig_depth_ = 0;  // inside the argument of a trigonometric function: a degree mark is pi/180
};

}  // namespace

ParseResult parse_latex(const std::string& text) {
    if (text.size() > kMaxLength) return {nullptr, "answer longer than " + std::to_string(kMaxLength) + " characters"};
    std::string s = normalize_latex(text);
    if (s.empty()) return {nullptr, "empty answer"};
    try {
        return {Parser(tokenize(s)).top(), ""};
    } catch (const Fail& f) {
        return {nullptr, f.what()};
    } catch (const std::exception& e) {  // a number GMP rejects, or allocation: unparsed, never a crash
        return {nullptr, std::string("unparsable: ") + e.what()};
    }
}

}  // namespace aha::verifiers::math
