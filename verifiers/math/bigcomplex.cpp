// 256-bit complex arithmetic; see bigcomplex.h. Real arguments go through MPFR's real functions where
// the result is real, so a real answer has an imaginary part of exactly zero (floor, factorial and the
// bounds of a sum need to know that a value is real).
#include "verifiers/math/bigcomplex.h"

#include <algorithm>
#include <cmath>

namespace aha::verifiers::math {

namespace {

// A scratch real at the working precision.
struct Real {
    Real() { mpfr_init2(v, BigComplex::kBits); }
    ~Real() { mpfr_clear(v); }
    Real(const Real&) = delete;
    Real& operator=(const Real&) = delete;
    mpfr_t v;
};

// True when x is within 2^-200 of the integer `out` (values computed at 256 bits that are meant to be
// integers, such as 1 / (1/3)).
bool near_integer(const mpfr_t x, mpz_class& out) {
    if (!mpfr_number_p(x)) return false;
    Real r, d;
    mpfr_rint(r.v, x, MPFR_RNDN);
    mpfr_sub(d.v, x, r.v, MPFR_RNDN);
    mpfr_abs(d.v, d.v, MPFR_RNDN);
    if (mpfr_cmp_ui_2exp(d.v, 1, -200) > 0) return false;
    if (mpfr_get_exp(r.v) > 64 && !mpfr_zero_p(r.v)) return false;  // only exponents and roots of sane size
    mpfr_get_z(out.get_mpz_t(), r.v, MPFR_RNDN);
    return true;
}

}  // namespace

BigComplex::BigComplex(long double re, long double im) {
    mpc_init2(v_, kBits);
    mpc_set_ld_ld(v_, re, im, MPC_RNDNN);
}

BigComplex::BigComplex(const mpq_class& q) {
    mpc_init2(v_, kBits);
    mpc_set_ui(v_, 0, MPC_RNDNN);
    mpfr_set_q(mpc_realref(v_), q.get_mpq_t(), MPFR_RNDN);
}

BigComplex BigComplex::pi() {
    BigComplex out;
    mpfr_const_pi(mpc_realref(out.v_), MPFR_RNDN);
    return out;
}

BigComplex BigComplex::euler() {
    BigComplex out;
    mpfr_set_ui(mpc_realref(out.v_), 1, MPFR_RNDN);
    mpfr_exp(mpc_realref(out.v_), mpc_realref(out.v_), MPFR_RNDN);
    return out;
}

BigComplex BigComplex::infinity() {
    BigComplex out;
    mpfr_set_inf(mpc_realref(out.v_), 1);
    return out;
}

BigComplex BigComplex::operator+(const BigComplex& o) const {
    BigComplex r;
    mpc_add(r.v_, v_, o.v_, MPC_RNDNN);
    return r;
}

BigComplex BigComplex::operator-(const BigComplex& o) const {
    BigComplex r;
    mpc_sub(r.v_, v_, o.v_, MPC_RNDNN);
    return r;
}

BigComplex BigComplex::operator*(const BigComplex& o) const {
    BigComplex r;
    mpc_mul(r.v_, v_, o.v_, MPC_RNDNN);
    return r;
}

BigComplex BigComplex::operator/(const BigComplex& o) const {
    BigComplex r;
    mpc_div(r.v_, v_, o.v_, MPC_RNDNN);
    return r;
}

long double BigComplex::magnitude() const {
    Real m;
    mpc_abs(m.v, v_, MPFR_RNDN);
    return mpfr_get_ld(m.v, MPFR_RNDN);
}

bool BigComplex::close(const BigComplex& a, const BigComplex& b, double tol) {
    Real diff, scale, other;
    BigComplex d = a - b;
    mpc_abs(diff.v, d.v_, MPFR_RNDN);
    mpc_abs(scale.v, a.v_, MPFR_RNDN);
    mpc_abs(other.v, b.v_, MPFR_RNDN);
    mpfr_max(scale.v, scale.v, other.v, MPFR_RNDN);
    if (mpfr_cmp_ui(scale.v, 1) < 0) mpfr_set_ui(scale.v, 1, MPFR_RNDN);
    mpfr_mul_d(scale.v, scale.v, tol, MPFR_RNDN);
    return mpfr_lessequal_p(diff.v, scale.v) != 0;
}

bool BigComplex::equal_rounded(const BigComplex& a, const BigComplex& b, int digits) {
    Real k, x, y;
    mpfr_ui_pow_ui(k.v, 10, static_cast<unsigned long>(std::max(digits, 0)), MPFR_RNDN);
    for (int part = 0; part < 2; ++part) {
        mpfr_mul(x.v, part == 0 ? mpc_realref(a.v_) : mpc_imagref(a.v_), k.v, MPFR_RNDN);
        mpfr_mul(y.v, part == 0 ? mpc_realref(b.v_) : mpc_imagref(b.v_), k.v, MPFR_RNDN);
        mpfr_rint(x.v, x.v, MPFR_RNDN);  // MPFR_RNDN rounds ties to even
        mpfr_rint(y.v, y.v, MPFR_RNDN);
        if (!mpfr_equal_p(x.v, y.v)) return false;
    }
    return true;
}

BigComplex BigComplex::pow(const BigComplex& b, const BigComplex& x) {
    BigComplex r;
    if (b.real() && x.real()) {
        const mpfr_srcptr base = mpc_realref(b.v_), e = mpc_realref(x.v_);
        mpz_class n;
        if (mpfr_sgn(base) >= 0) {
            mpfr_pow(mpc_realref(r.v_), base, e, MPFR_RNDN);
            return r;
        }
        if (near_integer(e, n)) {  // (-2)^3, and (-2)^(6/2) computed as a near-integer
            mpfr_pow_z(mpc_realref(r.v_), base, n.get_mpz_t(), MPFR_RNDN);
            return r;
        }
        Real inv;
        mpfr_ui_div(inv.v, 1, e, MPFR_RNDN);
        if (near_integer(inv.v, n) && mpz_odd_p(n.get_mpz_t())) {  // odd root of a negative number: real
            Real a;
            mpfr_neg(a.v, base, MPFR_RNDN);
            mpfr_pow(a.v, a.v, e, MPFR_RNDN);
            mpfr_neg(mpc_realref(r.v_), a.v, MPFR_RNDN);
            return r;
        }
    }
    mpc_pow(r.v_, b.v_, x.v_, MPC_RNDNN);
    return r;
}

std::optional<BigComplex> BigComplex::apply(const std::string& f, const BigComplex& z) {
    using RealFn = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t);
    using ComplexFn = int (*)(mpc_ptr, mpc_srcptr, mpc_rnd_t);
    struct Entry {
        const char* name;
        RealFn real;
        ComplexFn complex;
    };
    // Functions that map every real to a real. log, arcsin and arccos do only on part of the line.
    static const Entry kTotal[] = {
        {"sin", mpfr_sin, mpc_sin},       {"cos", mpfr_cos, mpc_cos},    {"tan", mpfr_tan, mpc_tan},
        {"arctan", mpfr_atan, mpc_atan},  {"sinh", mpfr_sinh, mpc_sinh}, {"cosh", mpfr_cosh, mpc_cosh},
        {"tanh", mpfr_tanh, mpc_tanh},    {"exp", mpfr_exp, mpc_exp},
    };
    BigComplex r;
    const mpfr_srcptr x = mpc_realref(z.v_);
    for (const Entry& e : kTotal) {
        if (f != e.name) continue;
        if (z.real()) {
            e.real(mpc_realref(r.v_), x, MPFR_RNDN);
        } else {
            e.complex(r.v_, z.v_, MPC_RNDNN);
        }
        return r;
    }
    if (f == "cot" || f == "sec" || f == "csc") {
        auto base = apply(f == "cot" ? "tan" : (f == "sec" ? "cos" : "sin"), z);
        return BigComplex(1) / *base;
    }
    if (f == "log") {
        if (z.real() && mpfr_sgn(x) > 0) {
            mpfr_log(mpc_realref(r.v_), x, MPFR_RNDN);
        } else {
            mpc_log(r.v_, z.v_, MPC_RNDNN);
        }
        return r;
    }
    if (f == "arcsin" || f == "arccos") {
        if (z.real() && mpfr_cmpabs_ui(x, 1) <= 0) {
            (f == "arcsin" ? mpfr_asin : mpfr_acos)(mpc_realref(r.v_), x, MPFR_RNDN);
        } else {
            (f == "arcsin" ? mpc_asin : mpc_acos)(r.v_, z.v_, MPC_RNDNN);
        }
        return r;
    }
    if (f == "abs") {
        mpc_abs(mpc_realref(r.v_), z.v_, MPFR_RNDN);
        return r;
    }
    if (!z.real()) return std::nullopt;
    if (f == "floor" || f == "ceil") {
        (f == "floor" ? mpfr_floor : mpfr_ceil)(mpc_realref(r.v_), x);
        return r;
    }
    if (f == "factorial") {  // x! = gamma(x + 1)
        mpfr_add_ui(mpc_realref(r.v_), x, 1, MPFR_RNDN);
        mpfr_gamma(mpc_realref(r.v_), mpc_realref(r.v_), MPFR_RNDN);
        return r;
    }
    return std::nullopt;
}

BigComplex BigComplex::log_base(const BigComplex& z, const BigComplex& base) {
    return *apply("log", z) / *apply("log", base);
}

std::optional<BigComplex> BigComplex::binomial(const BigComplex& n, const BigComplex& k) {
    if (!n.real() || !k.real()) return std::nullopt;
    BigComplex nk = n - k;
    auto a = apply("factorial", n), b = apply("factorial", k), c = apply("factorial", nk);
    return *a / (*b * *c);
}

}  // namespace aha::verifiers::math
