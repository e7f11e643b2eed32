// Equivalence of answers; see compare.h. Order of checks: identical trees; assignments reduced to their
// value (x = 3 against 3); collections; relations; scalars (exact, decimal rounding, numeric, random points).
#include "verifiers/math/compare.h"

#include <algorithm>
#include <cmath>

#include "verifiers/math/surd.h"

namespace aha::verifiers::math {

namespace {

bool same_tree(const Expr& a, const Expr& b) {
    if (a.op != b.op || a.name != b.name || a.args.size() != b.args.size() || a.relations != b.relations) return false;
    if (a.op == Op::kNumber && a.number != b.number) return false;
    if (a.left_closed != b.left_closed || a.right_closed != b.right_closed || a.rows != b.rows) return false;
    for (size_t i = 0; i < a.args.size(); ++i) {
        if (!same_tree(*a.args[i], *b.args[i])) return false;
    }
    return true;
}

bool is_collection(const Expr& e) {
    return e.op == Op::kSet || e.op == Op::kTuple || e.op == Op::kPair || e.op == Op::kInterval ||
           e.op == Op::kMatrix || (e.op == Op::kFunction && (e.name == "union" || e.name == "intersection"));
}

// Only symbols (x, AB, f(x) written as f*x): what an assignment's left side looks like.
bool only_symbols(const Expr& e) {
    if (e.op == Op::kSymbol) return true;
    if (e.op == Op::kPow) return only_symbols(*e.args[0]) && e.args[1]->op == Op::kNumber && e.args[1]->number == -1;
    if (e.op == Op::kFunction && e.name == "abs") return only_symbols(*e.args[0]);
    if (e.op == Op::kMul || e.op == Op::kTuple || e.op == Op::kPair) {
        return std::all_of(e.args.begin(), e.args.end(), [](const ExprPtr& a) { return only_symbols(*a); });
    }
    return false;
}

bool is_assignment(const Expr& e) {
    return e.op == Op::kRelation && std::all_of(e.relations.begin(), e.relations.end(), [](const std::string& r) { return r == "="; }) &&
           only_symbols(*e.args[0]);
}

bool is_equation(const Expr& e) {
    return e.op == Op::kRelation && std::all_of(e.relations.begin(), e.relations.end(), [](const std::string& r) { return r == "="; });
}

class Comparer {
 public:
    Comparer(const CompareOptions& o, Budget& b) : o_(o), b_(b) {}

    bool eq(const ExprPtr& g0, const ExprPtr& p0) {
        if (b_.exhausted()) return false;
        ExprPtr g = g0, p = p0;
        if (same_tree(*g, *p) || same_tree(*canonical(g), *canonical(p))) return true;
        // x = 3 against 3, and chains x = 1 + 2 = 3 by their final value.
        if (is_assignment(*g) && p->op != Op::kRelation) g = g->args.back();
        // x = 3 predicted for a gold value 3 (not for a gold set of equations, whose values differ).
        if (is_equation(*p) && g->op != Op::kRelation && !is_collection(*g)) p = p->args.back();
        // x \in [a, b] (parsed as x = [a, b]) is the set itself.
        if (is_assignment(*p) && is_collection(*p->args.back())) p = p->args.back();
        if (is_assignment(*g) && is_collection(*g->args.back())) g = g->args.back();
        g = matrix_value(g);
        p = matrix_value(p);
        if (is_assignment(*g) && is_assignment(*p)) {
            g = node(Op::kRelation, {g->args.front(), g->args.back()});
            std::const_pointer_cast<Expr>(g)->relations = {"="};
            p = node(Op::kRelation, {p->args.front(), p->args.back()});
            std::const_pointer_cast<Expr>(p)->relations = {"="};
        }
        if (g->op == Op::kPlusMinus) g = plus_minus_set(*g);
        if (p->op == Op::kPlusMinus) p = plus_minus_set(*p);
        // 0 < x < 1 against (0, 1): the inequality as the interval it describes.
        if (g->op == Op::kRelation && is_collection(*p)) {
            if (ExprPtr set = as_interval(*g)) g = set;
        }
        if (p->op == Op::kRelation && is_collection(*g) && o_.relation_as_set) {
            if (ExprPtr set = as_interval(*p)) p = set;
        }
        if (is_collection(*g) || is_collection(*p)) return collections(g, p);
        if (g->op == Op::kRelation || p->op == Op::kRelation) return relations(*g, *p);
        if (g->op == Op::kText || p->op == Op::kText || g->op == Op::kSymbol || p->op == Op::kSymbol) {
            if (names_match(*g, *p)) return true;
        }
        if (g->op == Op::kPercent || p->op == Op::kPercent) return percent(g, p);
        return scalars(*g, *p);
    }

    std::string why;

 private:
    // The interval of a one-variable inequality chain (a < x <= b, x > a, a <= x), or null.
    static ExprPtr as_interval(const Expr& r) {
        auto less = [](const std::string& op) { return op == "<" || op == "<="; };
        auto greater = [](const std::string& op) { return op == ">" || op == ">="; };
        auto interval = [](ExprPtr lo, bool lo_closed, ExprPtr hi, bool hi_closed) {
            auto e = std::make_shared<Expr>();
            e->op = Op::kInterval;
            e->args = {std::move(lo), std::move(hi)};
            e->left_closed = lo_closed;
            e->right_closed = hi_closed;
            return ExprPtr(e);
        };
        const auto& a = r.args;
        const auto& ops = r.relations;
        // a <= |x| <= b with a > 0: [-b, -a] and [a, b].
        if (ops.size() == 2 && a[1]->op == Op::kFunction && a[1]->name == "abs" && only_symbols(*a[1]->args[0]) &&
            less(ops[0]) && less(ops[1]) && a[0]->op == Op::kNumber && a[0]->number > 0) {
            return node(Op::kFunction, {interval(neg(a[2]), ops[1] == "<=", neg(a[0]), ops[0] == "<="),
                                        interval(a[0], ops[0] == "<=", a[2], ops[1] == "<=")}, "union");
        }
        if (ops.size() == 2 && only_symbols(*a[1])) {
            if (less(ops[0]) && less(ops[1])) return interval(a[0], ops[0] == "<=", a[2], ops[1] == "<=");
            if (greater(ops[0]) && greater(ops[1])) return interval(a[2], ops[1] == ">=", a[0], ops[0] == ">=");
            return nullptr;
        }
        if (ops.size() != 1) return nullptr;
        const bool var_left = only_symbols(*a[0]), var_right = only_symbols(*a[1]);
        if (var_left == var_right) return nullptr;
        const ExprPtr& bound = var_left ? a[1] : a[0];
        std::string op = var_left ? ops[0] : flipped(ops[0]);  // as "x op bound"
        if (less(op)) return interval(neg(constant("inf")), false, bound, op == "<=");
        if (greater(op)) return interval(bound, op == ">=", constant("inf"), false);
        return nullptr;
    }

    // Sums and products of matrices (and scalar multiples) evaluated to one matrix of expressions.
    static ExprPtr matrix_value(const ExprPtr& e) {
        if (e->op != Op::kAdd && e->op != Op::kMul) return e;
        std::vector<ExprPtr> args;
        bool any = false;
        for (const auto& a : e->args) {
            args.push_back(matrix_value(a));
            any = any || args.back()->op == Op::kMatrix;
        }
        if (!any) return e;
        ExprPtr acc = args[0];
        for (size_t k = 1; k < args.size(); ++k) {
            const ExprPtr& b = args[k];
            auto m = std::make_shared<Expr>();
            m->op = Op::kMatrix;
            if (acc->op == Op::kMatrix && b->op == Op::kMatrix) {
                if (e->op == Op::kAdd) {
                    if (acc->rows != b->rows || acc->cols != b->cols) return e;
                    m->rows = acc->rows, m->cols = acc->cols;
                    for (size_t i = 0; i < acc->args.size(); ++i) m->args.push_back(add(acc->args[i], b->args[i]));
                } else {
                    if (acc->cols != b->rows) return e;
                    m->rows = acc->rows, m->cols = b->cols;
                    for (int r = 0; r < m->rows; ++r) {
                        for (int c = 0; c < m->cols; ++c) {
                            ExprPtr sum = number(0);
                            for (int i = 0; i < acc->cols; ++i) sum = add(sum, mul(acc->args[r * acc->cols + i], b->args[i * b->cols + c]));
                            m->args.push_back(sum);
                        }
                    }
                }
            } else if (e->op == Op::kMul && (acc->op == Op::kMatrix) != (b->op == Op::kMatrix)) {
                const ExprPtr& mat = acc->op == Op::kMatrix ? acc : b;
                const ExprPtr& scalar = acc->op == Op::kMatrix ? b : acc;
                m->rows = mat->rows, m->cols = mat->cols;
                for (const auto& x : mat->args) m->args.push_back(mul(scalar, x));
            } else {
                return e;
            }
            acc = m;
        }
        return acc;
    }

    // The same tree with the arguments of sums and products in a fixed order (by rendering), so that
    // structurally equal expressions that cannot be evaluated (symbolic sums, unknown functions) compare
    // equal in any order. Memoised per node: eq() asks again for the subtrees of every level.
    ExprPtr canonical(const ExprPtr& e) {
        if (e->args.empty()) return e;
        auto hit = canonical_.find(e.get());
        if (hit != canonical_.end()) return hit->second;
        auto c = std::make_shared<Expr>(*e);
        for (auto& a : c->args) a = canonical(a);
        if (c->op == Op::kAdd || c->op == Op::kMul) {
            std::vector<std::pair<std::string, ExprPtr>> keyed;
            for (auto& a : c->args) keyed.emplace_back(to_string(*a), a);
            std::sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
            for (size_t i = 0; i < keyed.size(); ++i) c->args[i] = keyed[i].second;
        }
        canonical_.emplace(e.get(), c);
        keep_.push_back(e);  // the key stays valid while cached
        return c;
    }

    static ExprPtr plus_minus_set(const Expr& e) {
        return node(Op::kSet, {add(e.args[0], e.args[1]), add(e.args[0], neg(e.args[1]))});
    }

    static std::string flat_name(const Expr& e) {
        if (e.op == Op::kSymbol || e.op == Op::kText || e.op == Op::kConstant) return e.name;
        if (e.op == Op::kMul) {
            std::string s;
            for (const auto& a : e.args) s += flat_name(*a);
            return s;
        }
        return "\x01";
    }

    // Word answers and letters: "odd" against \text{odd}, "B" against "b", \text{e} against e.
    static bool names_match(const Expr& g, const Expr& p) {
        std::string a = flat_name(g), b = flat_name(p);
        return a != "\x01" && a == b;
    }

    // n% equals n / 100, and also n (a percent question answered with the number).
    bool percent(const ExprPtr& g, const ExprPtr& p) {
        if (g->op == Op::kPercent && p->op == Op::kPercent) return eq(g->args[0], p->args[0]);
        const ExprPtr& pct = g->op == Op::kPercent ? g : p;
        const ExprPtr& other = g->op == Op::kPercent ? p : g;
        return scalars(*pct->args[0], *other) || scalars(*node(Op::kMul, {pct->args[0], number(mpq_class(1, 100))}), *other);
    }

    static std::vector<ExprPtr> elements(const Expr& e) {
        if (e.op == Op::kSet || e.op == Op::kTuple || e.op == Op::kPair) return e.args;
        return {std::make_shared<Expr>(e)};
    }

    bool collections(const ExprPtr& g, const ExprPtr& p) {
        if (g->op == Op::kMatrix || p->op == Op::kMatrix) {
            if (g->op != p->op) return fail("a matrix against a non-matrix");
            if (g->rows != p->rows || g->cols != p->cols) return fail("matrix shapes differ");
            return all_pairs(g->args, p->args);
        }
        if (g->op == Op::kInterval || p->op == Op::kInterval) return intervals(*g, *p);
        if (g->op == Op::kFunction || p->op == Op::kFunction) {
            if (g->op != p->op || g->name != p->name) return fail("different set operations");
            return unordered(g->args, p->args);
        }
        auto ge = elements(*g), pe = elements(*p);
        if (g->op == Op::kSet || p->op == Op::kSet) {
            if (g->op == Op::kSet && p->op != Op::kInterval) return unordered(ge, pe);
        }
        if (ge.size() != pe.size()) return fail("different numbers of elements");
        if (g->op == Op::kSet && p->op != Op::kInterval) return unordered(ge, pe);
        if (p->op == Op::kSet && g->op != Op::kSet && g->op != Op::kPair && g->op != Op::kTuple) return unordered(ge, pe);
        return all_pairs(ge, pe);  // ordered: tuples, pairs, and a pair against a set as written
    }

    bool intervals(const Expr& g, const Expr& p) {
        auto open_pair = [](const Expr& e) { return e.op == Op::kPair; };
        bool gl = g.op == Op::kInterval ? g.left_closed : false, gr = g.op == Op::kInterval ? g.right_closed : false;
        bool pl = p.op == Op::kInterval ? p.left_closed : false, pr = p.op == Op::kInterval ? p.right_closed : false;
        if ((g.op != Op::kInterval && !open_pair(g)) || (p.op != Op::kInterval && !open_pair(p))) {
            return fail("an interval against a non-interval");
        }
        if (gl != pl || gr != pr) return fail("interval ends differ (open/closed)");
        return all_pairs(g.args, p.args);
    }

    bool all_pairs(const std::vector<ExprPtr>& a, const std::vector<ExprPtr>& b) {
        if (a.size() != b.size()) return fail("different numbers of elements");
        for (size_t i = 0; i < a.size(); ++i) {
            if (!eq(a[i], b[i])) return fail("element " + std::to_string(i + 1) + " differs");
        }
        return true;
    }

    // Set equality: every element of each side equals some element of the other (duplicates collapse).
    bool unordered(const std::vector<ExprPtr>& a, const std::vector<ExprPtr>& b) {
        // Large sets of exact numbers (no decimals): sorted and deduplicated, O(n log n).
        if (a.size() + b.size() > 32) {
            std::optional<bool> sorted = sorted_equal(a, b);
            if (sorted) return *sorted || fail("the sets differ");
        }
        std::vector<char> covered(b.size(), 0);
        for (size_t i = 0; i < a.size(); ++i) {
            bool found = false;
            for (size_t j = 0; j < b.size(); ++j) {
                if (eq(a[i], b[j])) found = (covered[j] = 1);
            }
            if (!found) return fail("no match for element " + std::to_string(i + 1));
        }
        for (size_t j = 0; j < b.size(); ++j) {
            if (!covered[j]) return fail("an extra element " + std::to_string(j + 1));
        }
        return true;
    }

    std::optional<bool> sorted_equal(const std::vector<ExprPtr>& a, const std::vector<ExprPtr>& b) {
        auto values = [&](const std::vector<ExprPtr>& xs) -> std::optional<std::vector<mpq_class>> {
            std::vector<mpq_class> out;
            for (const auto& x : xs) {
                if (has_decimal(*x)) return std::nullopt;
                auto v = exact_value(*x, b_);
                if (!v) return std::nullopt;
                out.push_back(*v);
            }
            std::sort(out.begin(), out.end());
            out.erase(std::unique(out.begin(), out.end()), out.end());
            return out;
        };
        auto va = values(a);
        auto vb = va ? values(b) : std::nullopt;
        if (!vb) return std::nullopt;
        return *va == *vb;
    }

    static std::string flipped(const std::string& r) {
        if (r == "<") return ">";
        if (r == ">") return "<";
        if (r == "<=") return ">=";
        if (r == ">=") return "<=";
        return r;
    }

    // Relations: same chain of relation signs, and each lhs - rhs a constant multiple of the other's
    // (positive for inequalities in the same direction, negative when flipped).
    bool relations(const Expr& g, const Expr& p) {
        if (g.op != Op::kRelation || p.op != Op::kRelation) return fail("a relation against a value");
        if (g.relations.size() != p.relations.size()) return fail("different relation chains");
        for (size_t i = 0; i < g.relations.size(); ++i) {
            ExprPtr dg = add(g.args[i], neg(g.args[i + 1])), dp = add(p.args[i], neg(p.args[i + 1]));
            const std::string &rg = g.relations[i], &rp = p.relations[i];
            int sign = rg == rp ? 1 : (flipped(rg) == rp ? -1 : 0);
            if (sign == 0) return fail("different relation signs");
            if (!proportional(*dg, *dp, rg == "=" || rg == "!=" ? 0 : sign)) return fail("the relations differ");
        }
        return true;
    }

    // Random evaluation points for the free symbols of both sides (deterministic).
    std::vector<NumericEnv> points(const Expr& a, const Expr& b) {
        Symbols syms;
        free_symbols(a, syms);
        free_symbols(b, syms);
        std::vector<NumericEnv> out;
        uint64_t state = 0x9E3779B97F4A7C15ull;
        // Six points in (0.3, 2.7), then six in (3, 27) for expressions defined only for larger values
        // (sqrt(n - 1), log(x - 2)); points where either side cannot be evaluated are skipped.
        const int n = syms.empty() ? 1 : 12;
        for (int k = 0; k < n; ++k) {
            NumericEnv env;
            const long double lo = k < 6 ? 0.3L : 3.0L, width = k < 6 ? 2.4L : 24.0L;
            for (const auto& name : syms) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                env[name] = BigComplex(lo + width * static_cast<long double>(state >> 11) / 9007199254740992.0L);
            }
            out.push_back(env);
        }
        return out;
    }

    // dp = c * dg for one constant c (sign: 0 any nonzero c, +1 c > 0, -1 c < 0), checked at random points.
    // Six random rational points for these symbols (deterministic).
    static std::vector<RationalEnv> rational_points(const Symbols& syms) {
        uint64_t state = 0xD1B54A32D192ED03ull;
        auto draw = [&state](uint64_t n) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            return static_cast<long>((state >> 33) % n);
        };
        std::vector<RationalEnv> out(6);
        for (auto& env : out) {
            for (const auto& name : syms) {
                env[name] = mpq_class(draw(89) + 2, draw(12) + 1);
                env[name].canonicalize();
            }
        }
        return out;
    }

    // Exactly: dp = c * dg at rational points (nullopt when either side is not rational there).
    std::optional<bool> exact_proportional(const Expr& dg, const Expr& dp, int sign) {
        Symbols syms;
        free_symbols(dg, syms);
        free_symbols(dp, syms);
        std::optional<mpq_class> ratio;
        for (const auto& env : rational_points(syms)) {
            auto a = exact_value(dg, b_, &env);
            auto c = a ? exact_value(dp, b_, &env) : std::nullopt;
            if (!c) return std::nullopt;
            if (*a == 0 || *c == 0) {
                if (*a == 0 && *c == 0) continue;
                return false;
            }
            mpq_class r = *c / *a;
            if (ratio && *ratio != r) return false;
            ratio = r;
        }
        return !ratio || sign == 0 || (sign > 0 ? *ratio > 0 : *ratio < 0);
    }

    bool proportional(const Expr& dg, const Expr& dp, int sign) {
        if (std::optional<bool> exact = exact_proportional(dg, dp, sign)) return *exact;
        std::optional<BigComplex> ratio;
        const BigComplex zero(0);
        for (const auto& env : points(dg, dp)) {
            auto a = numeric_value(dg, env, b_), c = numeric_value(dp, env, b_);
            if (!a || !c || !a->finite() || !c->finite()) return false;
            const bool za = BigComplex::close(*a, zero, o_.rel_tol), zc = BigComplex::close(*c, zero, o_.rel_tol);
            if (za || zc) {
                if (za && zc) continue;
                return false;
            }
            BigComplex r = *c / *a;
            if (ratio && !BigComplex::close(*ratio, r, o_.rel_tol)) return false;
            ratio = r;
        }
        if (!ratio) return true;
        if (sign != 0 && (std::abs(ratio->im()) > 1e-30L || ratio->re() * sign <= 0)) return false;
        return true;
    }

    // Both sides evaluated exactly at six random rational points: true/false when every point is exact,
    // nullopt when one side is not rational there (roots, logs: the numeric path decides).
    std::optional<bool> exact_at_points(const Expr& g, const Expr& p, const Symbols& gs, const Symbols& ps,
                                        bool renamed) {
        for (const RationalEnv& genv : rational_points(gs)) {
            RationalEnv penv = genv;
            if (renamed) {
                penv.clear();
                auto gi = genv.begin();
                for (const auto& name : ps) penv[name] = (gi++)->second;
            }
            auto a = exact_value(g, b_, &genv);
            auto c = a ? exact_value(p, b_, &penv) : std::nullopt;
            if (!a || !c) return std::nullopt;
            if (*a != *c) return false;
        }
        return true;
    }

    static bool has_decimal(const Expr& e) {
        if (e.op == Op::kNumber) return e.decimal;
        return std::any_of(e.args.begin(), e.args.end(), [](const ExprPtr& a) { return has_decimal(*a); });
    }

    bool scalars(const Expr& g, const Expr& p) {
        const bool decimal = has_decimal(g) || has_decimal(p);
        auto eg = exact_value(g, b_), ep = eg ? exact_value(p, b_) : std::nullopt;
        if (eg && ep) {
            if (decimal) return round_decimal(*eg, o_.float_rounding) == round_decimal(*ep, o_.float_rounding) || fail("values differ");
            return *eg == *ep || fail("values differ");
        }
        // Sums of rational multiples of square roots and powers of pi compare exactly in canonical form.
        if (!decimal) {
            auto sg = surd_value(g, b_), sp = sg ? surd_value(p, b_) : std::nullopt;
            if (sg && sp) return *sg == *sp || fail("values differ (exact radicals)");
        }
        auto envs = points(g, p);
        Symbols gs, ps;
        free_symbols(g, gs);
        free_symbols(p, ps);
        // Not strict, the prediction may rename the gold's variables (as many of each). Otherwise both sides
        // are evaluated over all their variables together: variables that cancel (\sec^2 t - \tan^2 t
        // against 1) are no obstacle, and ones that do not (x against y) differ at random points.
        const bool renamed = !o_.strict && gs.size() == ps.size() && gs != ps;
        Symbols all = gs;
        all.insert(ps.begin(), ps.end());
        if (!renamed) gs = ps = all;
        // Exactly at random rational points first (Schwartz-Zippel without rounding: polynomials and
        // rational functions of any degree), numerically when an expression leaves the rationals.
        if (!all.empty()) {
            std::optional<bool> exact = exact_at_points(g, p, gs, ps, renamed);
            if (exact) return *exact || fail("differ at a random rational point");
        }
        int compared = 0;
        for (auto env : envs) {
            auto a = numeric_value(g, env, b_);
            if (renamed) {  // not strict: the prediction's variables, in name order, take the gold's values
                auto gi = gs.begin();
                for (const auto& name : ps) env[name] = env[*gi++];
            }
            auto c = numeric_value(p, env, b_);
            if (!a || !c) {
                if (all.empty() || b_.exhausted()) return fail("cannot evaluate");
                continue;  // outside a domain (floor of a complex value): another point
            }
            if (!a->finite() || !c->finite()) continue;
            ++compared;
            if (decimal && all.empty()) {
                if (!BigComplex::equal_rounded(*a, *c, o_.float_rounding)) return fail("values differ after rounding");
            } else if (!BigComplex::close(*a, *c, o_.rel_tol)) {
                return fail(all.empty() ? "values differ" : "differ at a random point");
            }
        }
        if (!all.empty() && compared < 3) return fail("too few points where both sides can be evaluated");
        return compared > 0 || fail("values are too large to compare");
    }

    bool fail(const std::string& r) {
        why = r;
        return false;
    }

    const CompareOptions& o_;
    Budget& b_;
    std::map<const Expr*, ExprPtr> canonical_;
    std::vector<ExprPtr> keep_;
};

}  // namespace

bool equivalent(const ExprPtr& gold, const ExprPtr& pred, const CompareOptions& options, Budget& budget,
                std::string& reason) {
    Comparer c(options, budget);
    bool ok = c.eq(gold, pred);
    reason = ok ? "equivalent" : (budget.exhausted() ? "work budget exhausted" : c.why);
    return ok;
}

}  // namespace aha::verifiers::math
