// Exact and numeric evaluation under a budget; see evaluate.h.
#include "verifiers/math/evaluate.h"

#include <cmath>

namespace aha::verifiers::math {

namespace {

constexpr size_t kMaxExactBits = 200000;  // no exact result above ~60k decimal digits
constexpr unsigned long kMaxFactorial = 5000;

size_t bits(const mpz_class& z) { return mpz_sizeinbase(z.get_mpz_t(), 2); }

bool small_integer(const mpq_class& q, long lo, long hi, long& out) {
    if (q.get_den() != 1 || !q.get_num().fits_slong_p()) return false;
    out = q.get_num().get_si();
    return out >= lo && out <= hi;
}

// Exact b^(p/q) for a rational base and exponent, when the root is exact and the size is bounded.
std::optional<mpq_class> exact_power(const mpq_class& base, const mpq_class& exponent) {
    long p = 0, q = 0;
    if (!exponent.get_num().fits_slong_p() || !small_integer(mpq_class(exponent.get_den()), 1, 64, q)) return std::nullopt;
    p = exponent.get_num().get_si();
    if (base == 0) return p > 0 ? std::optional<mpq_class>(0) : std::nullopt;
    if (base < 0 && q % 2 == 0) return std::nullopt;
    // Size estimate before computing: |p| * bits(base) / q.
    const double size = std::abs(static_cast<double>(p)) * (bits(base.get_num()) + bits(base.get_den())) / q;
    if (size > kMaxExactBits) return std::nullopt;
    mpz_class num = abs(base.get_num()), den = base.get_den();
    if (q > 1) {
        mpz_class rn, rd;
        if (!mpz_root(rn.get_mpz_t(), num.get_mpz_t(), q) || !mpz_root(rd.get_mpz_t(), den.get_mpz_t(), q)) return std::nullopt;
        num = rn;
        den = rd;
    }
    mpz_class n, d;
    mpz_pow_ui(n.get_mpz_t(), num.get_mpz_t(), static_cast<unsigned long>(std::abs(p)));
    mpz_pow_ui(d.get_mpz_t(), den.get_mpz_t(), static_cast<unsigned long>(std::abs(p)));
    if (base < 0 && (p % 2 != 0)) n = -n;
    mpq_class r = p >= 0 ? mpq_class(n, d) : mpq_class(d, n);
    r.canonicalize();
    return r;
}

}  // namespace

// A finite sum or product over integer bounds (each term spends budget); nullopt for infinite or symbolic
// bounds and for non-integer ones.
std::optional<BigComplex> series(const Expr& e, const NumericEnv& env, Budget& budget) {
    auto lo = numeric_value(*e.args[2], env, budget), hi = lo ? numeric_value(*e.args[3], env, budget) : std::nullopt;
    if (!hi || !lo->real() || !hi->real() || !lo->finite() || !hi->finite()) return std::nullopt;
    const long double a = lo->re(), b = hi->re();
    if (a != std::round(a) || b != std::round(b) || b - a > 1e6L) return std::nullopt;
    const bool sum = e.name == "sum";
    BigComplex acc(sum ? 0 : 1);
    NumericEnv inner = env;
    for (long double k = a; k <= b; k += 1) {
        inner[e.args[1]->name] = BigComplex(k);
        auto t = numeric_value(*e.args[0], inner, budget);
        if (!t) return std::nullopt;
        acc = sum ? acc + *t : acc * *t;
    }
    return acc;
}

mpq_class round_decimal(const mpq_class& r, int digits) {
    mpz_class scale;
    mpz_ui_pow_ui(scale.get_mpz_t(), 10, static_cast<unsigned long>(digits));
    mpq_class x = r * scale;
    mpz_class fl;
    mpz_fdiv_q(fl.get_mpz_t(), x.get_num().get_mpz_t(), x.get_den().get_mpz_t());
    mpq_class frac = x - fl;
    if (frac > mpq_class(1, 2) || (frac == mpq_class(1, 2) && mpz_odd_p(fl.get_mpz_t()))) fl += 1;
    mpq_class out(fl, scale);
    out.canonicalize();
    return out;
}

std::optional<mpq_class> exact_value(const Expr& e, Budget& budget, const RationalEnv* env) {
    if (!budget.spend()) return std::nullopt;
    switch (e.op) {
        case Op::kNumber:
            return e.number;
        case Op::kSymbol: {
            if (!env) return std::nullopt;
            auto it = env->find(e.name);
            if (it == env->end()) return std::nullopt;
            return it->second;
        }
        case Op::kAdd:
        case Op::kMul: {
            mpq_class acc = e.op == Op::kAdd ? 0 : 1;
            for (const auto& a : e.args) {
                auto v = exact_value(*a, budget, env);
                if (!v) return std::nullopt;
                if (e.op == Op::kAdd) {
                    acc += *v;
                } else {
                    acc *= *v;
                }
            }
            return acc;
        }
        case Op::kPow: {
            auto b = exact_value(*e.args[0], budget, env);
            auto x = b ? exact_value(*e.args[1], budget, env) : std::nullopt;
            if (!x) return std::nullopt;
            return exact_power(*b, *x);
        }
        case Op::kPercent: {
            auto v = exact_value(*e.args[0], budget, env);
            if (!v) return std::nullopt;
            return mpq_class(*v / 100);
        }
        case Op::kFactorial: {
            auto v = exact_value(*e.args[0], budget, env);
            long n = 0;
            if (!v || !small_integer(*v, 0, static_cast<long>(kMaxFactorial), n) || !budget.spend(n)) return std::nullopt;
            mpz_class f;
            mpz_fac_ui(f.get_mpz_t(), static_cast<unsigned long>(n));
            return mpq_class(f);
        }
        case Op::kFunction: {
            std::vector<mpq_class> v;
            for (const auto& a : e.args) {
                auto x = exact_value(*a, budget, env);
                if (!x) return std::nullopt;
                v.push_back(*x);
            }
            if (e.name == "abs" && v.size() == 1) return abs(v[0]);
            if ((e.name == "floor" || e.name == "ceil") && v.size() == 1) {
                mpz_class q;
                if (e.name == "floor") {
                    mpz_fdiv_q(q.get_mpz_t(), v[0].get_num().get_mpz_t(), v[0].get_den().get_mpz_t());
                } else {
                    mpz_cdiv_q(q.get_mpz_t(), v[0].get_num().get_mpz_t(), v[0].get_den().get_mpz_t());
                }
                return mpq_class(q);
            }
            if (e.name == "binom" && v.size() == 2) {
                long n = 0, k = 0;
                if (!small_integer(v[0], 0, 100000, n) || !small_integer(v[1], -1000000, 1000000, k)) return std::nullopt;
                if (k < 0 || k > n) return mpq_class(0);
                if (!budget.spend(std::min(k, n - k))) return std::nullopt;
                mpz_class r;
                mpz_bin_uiui(r.get_mpz_t(), static_cast<unsigned long>(n), static_cast<unsigned long>(k));
                return mpq_class(r);
            }
            if ((e.name == "max" || e.name == "min") && !v.empty()) {
                mpq_class r = v[0];
                for (const auto& x : v) r = e.name == "max" ? (x > r ? x : r) : (x < r ? x : r);
                return r;
            }
            if ((e.name == "gcd" || e.name == "lcm") && v.size() >= 2) {
                mpz_class r = v[0].get_num();
                for (const auto& x : v) {
                    if (x.get_den() != 1) return std::nullopt;
                    if (e.name == "gcd") {
                        mpz_gcd(r.get_mpz_t(), r.get_mpz_t(), x.get_num().get_mpz_t());
                    } else {
                        mpz_lcm(r.get_mpz_t(), r.get_mpz_t(), x.get_num().get_mpz_t());
                    }
                }
                return mpq_class(r);
            }
            return std::nullopt;
        }
        default:
            return std::nullopt;
    }
}

void free_symbols(const Expr& e, Symbols& out) {
    if (e.op == Op::kSymbol) out.insert(e.name);
    if (e.op == Op::kFunction && (e.name == "sum" || e.name == "prod")) {
        Symbols body;
        free_symbols(*e.args[0], body);
        body.erase(e.args[1]->name);
        out.insert(body.begin(), body.end());
        for (size_t i = 2; i < e.args.size(); ++i) free_symbols(*e.args[i], out);
        return;
    }
    for (const auto& a : e.args) free_symbols(*a, out);
}

std::optional<BigComplex> numeric_value(const Expr& e, const NumericEnv& env, Budget& budget) {
    if (!budget.spend()) return std::nullopt;
    auto arg = [&](size_t i) { return numeric_value(*e.args[i], env, budget); };
    switch (e.op) {
        case Op::kNumber:
            return BigComplex(e.number);
        case Op::kConstant:
            if (e.name == "pi") return BigComplex::pi();
            if (e.name == "e") return BigComplex::euler();
            if (e.name == "i") return BigComplex(0, 1);
            if (e.name == "inf") return BigComplex::infinity();
            return std::nullopt;
        case Op::kSymbol: {
            auto it = env.find(e.name);
            if (it == env.end()) return std::nullopt;
            return it->second;
        }
        case Op::kAdd:
        case Op::kMul: {
            BigComplex acc(e.op == Op::kAdd ? 0 : 1);
            for (size_t i = 0; i < e.args.size(); ++i) {
                auto v = arg(i);
                if (!v) return std::nullopt;
                acc = e.op == Op::kAdd ? acc + *v : acc * *v;
            }
            return acc;
        }
        case Op::kPow: {
            auto b = arg(0), x = b ? arg(1) : std::nullopt;
            if (!x) return std::nullopt;
            return BigComplex::pow(*b, *x);
        }
        case Op::kFactorial: {
            auto v = arg(0);
            if (!v) return std::nullopt;
            return BigComplex::apply("factorial", *v);
        }
        case Op::kPercent: {
            auto v = arg(0);
            if (!v) return std::nullopt;
            return *v / BigComplex(100);
        }
        case Op::kFunction: {
            if (e.name == "sum" || e.name == "prod") return series(e, env, budget);
            std::vector<BigComplex> v;
            for (size_t i = 0; i < e.args.size(); ++i) {
                auto x = arg(i);
                if (!x) return std::nullopt;
                v.push_back(*x);
            }
            if (v.size() == 2 && e.name == "log") return BigComplex::log_base(v[0], v[1]);
            if (v.size() == 2 && e.name == "binom") return BigComplex::binomial(v[0], v[1]);
            if (v.size() != 1) return std::nullopt;
            return BigComplex::apply(e.name, v[0]);
        }
        default:
            return std::nullopt;
    }
}

}  // namespace aha::verifiers::math
