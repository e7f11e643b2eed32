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

long double to_long_double(const mpq_class& q) {
    if (q.get_num().fits_slong_p() && q.get_den().fits_slong_p()) {
        return static_cast<long double>(q.get_num().get_si()) / static_cast<long double>(q.get_den().get_si());
    }
    return static_cast<long double>(q.get_d());
}

}  // namespace

// A finite sum or product over integer bounds (each term spends budget); nullopt for infinite or symbolic
// bounds and for non-integer ones.
std::optional<Complex> series(const Expr& e, const std::map<std::string, Complex>& env, Budget& budget) {
    auto lo = numeric_value(*e.args[2], env, budget), hi = lo ? numeric_value(*e.args[3], env, budget) : std::nullopt;
    if (!hi || lo->imag() != 0 || hi->imag() != 0 || !std::isfinite(lo->real()) || !std::isfinite(hi->real())) return std::nullopt;
    const long double a = lo->real(), b = hi->real();
    if (a != std::round(a) || b != std::round(b) || b - a > 1e6L) return std::nullopt;
    const bool sum = e.name == "sum";
    Complex acc = sum ? 0 : 1;
    std::map<std::string, Complex> inner = env;
    for (long double k = a; k <= b; k += 1) {
        inner[e.args[1]->name] = Complex(k);
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

void free_symbols(const Expr& e, std::map<std::string, Complex>& out) {
    if (e.op == Op::kSymbol) out.emplace(e.name, Complex(0));
    if (e.op == Op::kFunction && (e.name == "sum" || e.name == "prod")) {
        std::map<std::string, Complex> body;
        free_symbols(*e.args[0], body);
        body.erase(e.args[1]->name);
        out.insert(body.begin(), body.end());
        for (size_t i = 2; i < e.args.size(); ++i) free_symbols(*e.args[i], out);
        return;
    }
    for (const auto& a : e.args) free_symbols(*a, out);
}

std::optional<Complex> numeric_value(const Expr& e, const std::map<std::string, Complex>& env, Budget& budget) {
    if (!budget.spend()) return std::nullopt;
    auto arg = [&](size_t i) { return numeric_value(*e.args[i], env, budget); };
    switch (e.op) {
        case Op::kNumber:
            return Complex(to_long_double(e.number));
        case Op::kConstant:
            if (e.name == "pi") return Complex(3.141592653589793238462643383279502884L);
            if (e.name == "e") return Complex(2.718281828459045235360287471352662498L);
            if (e.name == "i") return Complex(0, 1);
            if (e.name == "inf") return Complex(HUGE_VALL);
            return std::nullopt;
        case Op::kSymbol: {
            auto it = env.find(e.name);
            if (it == env.end()) return std::nullopt;
            return it->second;
        }
        case Op::kAdd:
        case Op::kMul: {
            Complex acc = e.op == Op::kAdd ? 0 : 1;
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
            // Real roots of negative numbers for odd roots ((-8)^(1/3) = -2), as answers mean them.
            if (b->imag() == 0 && x->imag() == 0 && b->real() < 0) {
                long double inv = 1.0L / x->real();
                long double r = std::round(inv);
                if (std::abs(inv - r) < 1e-12L && std::fmod(std::abs(r), 2.0L) == 1.0L) {
                    return Complex(-std::pow(-b->real(), x->real()));
                }
                long double xr = std::round(x->real());
                if (std::abs(x->real() - xr) < 1e-15L) return Complex(std::pow(b->real(), xr));
            }
            if (b->imag() == 0 && x->imag() == 0 && b->real() >= 0) return Complex(std::pow(b->real(), x->real()));
            return std::pow(*b, *x);
        }
        case Op::kFactorial: {
            auto v = arg(0);
            if (!v || v->imag() != 0) return std::nullopt;
            return Complex(std::tgamma(v->real() + 1));
        }
        case Op::kPercent: {
            auto v = arg(0);
            if (!v) return std::nullopt;
            return *v / 100.0L;
        }
        case Op::kFunction: {
            if (e.name == "sum" || e.name == "prod") return series(e, env, budget);
            std::vector<Complex> v;
            for (size_t i = 0; i < e.args.size(); ++i) {
                auto x = arg(i);
                if (!x) return std::nullopt;
                v.push_back(*x);
            }
            const std::string& f = e.name;
            if (v.size() == 2 && f == "log") return std::log(v[0]) / std::log(v[1]);
            if (v.size() == 2 && f == "binom" && v[0].imag() == 0 && v[1].imag() == 0) {
                long double n = v[0].real(), k = v[1].real();
                return Complex(std::exp(std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1)));
            }
            if (v.size() != 1) return std::nullopt;
            const Complex z = v[0];
            if (f == "log") return std::log(z);
            if (f == "sin") return std::sin(z);
            if (f == "cos") return std::cos(z);
            if (f == "tan") return std::tan(z);
            if (f == "cot") return 1.0L / std::tan(z);
            if (f == "sec") return 1.0L / std::cos(z);
            if (f == "csc") return 1.0L / std::sin(z);
            if (f == "arcsin") return std::asin(z);
            if (f == "arccos") return std::acos(z);
            if (f == "arctan") return std::atan(z);
            if (f == "sinh") return std::sinh(z);
            if (f == "cosh") return std::cosh(z);
            if (f == "tanh") return std::tanh(z);
            if (f == "exp") return std::exp(z);
            if (f == "abs") return Complex(std::abs(z));
            if (f == "floor" && z.imag() == 0) return Complex(std::floor(z.real()));
            if (f == "ceil" && z.imag() == 0) return Complex(std::ceil(z.real()));
            return std::nullopt;
        }
        default:
            return std::nullopt;
    }
}

}  // namespace aha::verifiers::math
