// A complex number of 256-bit precision (MPC over MPFR, correctly rounded operations), for answers that
// leave the rationals: radicals, pi, logs, trig. 256 bits (~77 decimal digits) is enough that an identity
// such as sqrt(2) + sqrt(3) = sqrt(5 + 2 sqrt(6)) agrees to ~1e-75 while e^(pi sqrt(163)) and the integer
// 640320^3 + 744, which differ by 7.5e-13 (3e-30 relative), are told apart; long double could do neither
// after a cancellation.
#pragma once

#include <gmpxx.h>
#include <mpc.h>

#include <optional>
#include <string>
#include <vector>

namespace aha::verifiers::math {

class BigComplex {
public:
    static constexpr mpfr_prec_t kBits = 256;

    BigComplex() { mpc_init2(v_, kBits); mpc_set_ui(v_, 0, MPC_RNDNN); }
    BigComplex(long double re, long double im = 0);  // NOLINT(google-explicit-constructor): numbers read as values
    explicit BigComplex(const mpq_class& q);
    BigComplex(const BigComplex& o) { mpc_init2(v_, kBits); mpc_set(v_, o.v_, MPC_RNDNN); }
    BigComplex& operator=(const BigComplex& o) {
        if (this != &o) mpc_set(v_, o.v_, MPC_RNDNN);
        return *this;
    }
    ~BigComplex() { mpc_clear(v_); }

    static BigComplex pi();
    static BigComplex euler();  // e
    static BigComplex infinity();

    BigComplex operator+(const BigComplex& o) const;
    BigComplex operator-(const BigComplex& o) const;
    BigComplex operator*(const BigComplex& o) const;
    BigComplex operator/(const BigComplex& o) const;

    bool real() const { return mpfr_zero_p(mpc_imagref(v_)) != 0; }
    bool finite() const { return mpfr_number_p(mpc_realref(v_)) && mpfr_number_p(mpc_imagref(v_)); }
    // |z| rounded to long double (for scales and thresholds).
    long double magnitude() const;
    long double re() const { return mpfr_get_ld(mpc_realref(v_), MPFR_RNDN); }
    long double im() const { return mpfr_get_ld(mpc_imagref(v_), MPFR_RNDN); }

    // |a - b| <= tol * max(1, |a|, |b|).
    static bool close(const BigComplex& a, const BigComplex& b, double tol);
    // Both parts multiplied by 10^digits and rounded half-to-even: equal when a and b agree to `digits`
    // decimal places.
    static bool equal_rounded(const BigComplex& a, const BigComplex& b, int digits);

    // b^x; for a negative real base and an exponent 1/n with n odd, the real root ((-8)^(1/3) = -2), as
    // answers mean it.
    static BigComplex pow(const BigComplex& b, const BigComplex& x);
    // A named function of one argument (sin, log, ...); nullopt for an unknown name or outside its domain
    // (floor of a complex value, factorial of a non-real).
    static std::optional<BigComplex> apply(const std::string& name, const BigComplex& z);
    // log base, binomial coefficient (through the gamma function).
    static BigComplex log_base(const BigComplex& z, const BigComplex& base);
    static std::optional<BigComplex> binomial(const BigComplex& n, const BigComplex& k);

    mpc_t v_;
};

}  // namespace aha::verifiers::math
