// The math verifier: parsing and equivalence by hand, hostile inputs, and agreement with math-verify on
// its own test cases (tests/data/math_verify_cases, where math-verify quirks are counted as disagreements).
#include "verifiers/math/verify.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>

#include "verifiers/math/parser.h"
#include "verifiers/math/surd.h"

namespace aha::verifiers::math {
namespace {

bool same(const std::string& gold, const std::string& pred) { return verify_math(gold, pred).correct; }

TEST(MathParseTest, NumbersFractionsAndMixedNumbers) {
    auto v = [](const std::string& s) {
        ParseResult r = parse_latex(s);
        EXPECT_TRUE(r.expr) << s << ": " << r.error;
        return r.expr ? to_string(*r.expr) : "";
    };
    EXPECT_EQ(v("\\frac{3}{6}"), "1/2");
    EXPECT_EQ(v("\\dfrac12"), "1/2");
    EXPECT_EQ(v("2\\frac{1}{2}"), "5/2");
    EXPECT_EQ(v("-2\\frac{1}{2}"), "-5/2");
    EXPECT_EQ(v("1,000"), "1000");
    EXPECT_EQ(v("14{,}916"), "14916");
    EXPECT_EQ(v("1\\,000"), "1000");
    EXPECT_EQ(v("123456789012345678901234567890"), "123456789012345678901234567890");
    EXPECT_EQ(v("0.25"), "1/4 (decimal)");
    EXPECT_EQ(v("1.5e3"), "1500 (decimal)");
    EXPECT_EQ(v("1, 2"), "{1, 2}");
    EXPECT_EQ(v("(1, 2]"), "(1, 2]");
    EXPECT_EQ(v("\\cos 2x"), "cos((2*x))");
    EXPECT_EQ(v("\\sin x \\cos x"), "(sin(x)*cos(x))");
    EXPECT_EQ(v("\\sin^2 x"), "sin(x)^2");
    EXPECT_EQ(v("\\sin 30^\\circ"), "sin((30*1/180*pi))");
    EXPECT_EQ(v("30^\\circ"), "30");
}

TEST(MathVerifyTest, EquivalentFormsMatch) {
    EXPECT_TRUE(same("\\frac{1}{2}", "0.5"));
    EXPECT_TRUE(same("\\frac{1}{2}", "$\\boxed{\\tfrac{2}{4}}$"));
    EXPECT_TRUE(same("2\\sqrt{2}", "\\sqrt{8}"));
    EXPECT_TRUE(same("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}{2}"));
    EXPECT_TRUE(same("\\pi", "3.14159265"));
    EXPECT_TRUE(same("x^2+2x+1", "(x+1)^2"));
    EXPECT_TRUE(same("3", "x = 3"));
    EXPECT_TRUE(same("\\{1, 2, 3\\}", "\\{3, 1, 2\\}"));
    EXPECT_TRUE(same("(1, 2)", "(1,2)"));
    EXPECT_TRUE(same("[1, 2)", "[1,2)"));
    EXPECT_TRUE(same("50\\%", "50"));
    EXPECT_TRUE(same("50\\%", "0.5"));
    EXPECT_TRUE(same("10", "The answer is $10$ apples."));
    EXPECT_TRUE(same("72", "so she earns 72 dollars in total.\n#### 72"));
    EXPECT_TRUE(same("1000", "1,000"));
    EXPECT_TRUE(same("x < 2", "2 > x"));
    EXPECT_TRUE(same("y = 2x + 1", "2x - y + 1 = 0"));
}

// Values that leave the rationals are compared with 256-bit numerics: identities hold through
// cancellations long double loses, and near-identities a 1e-14 tolerance would accept are told apart.
TEST(MathVerifyTest, HighPrecisionNumerics) {
    EXPECT_TRUE(same("\\sqrt{2}+\\sqrt{3}", "\\sqrt{5+2\\sqrt{6}}"));
    EXPECT_TRUE(same("\\frac{1}{\\sqrt{2}-1}", "1+\\sqrt{2}"));
    EXPECT_TRUE(same("\\sqrt{2}", "(10^{30}+\\sqrt{2})-10^{30}"));           // 30 digits cancel
    EXPECT_TRUE(same("\\sqrt[3]{-8}+\\sqrt{2}", "\\sqrt{2}-2"));               // a real odd root
    EXPECT_TRUE(same("\\sin\\frac{\\pi}{12}", "\\frac{\\sqrt{6}-\\sqrt{2}}{4}"));
    EXPECT_TRUE(same("\\log_2 8 + \\pi", "3+\\pi"));
    EXPECT_TRUE(same("e^{i\\pi}+\\sqrt{2}", "\\sqrt{2}-1"));
    EXPECT_FALSE(same("e^{\\pi\\sqrt{163}}", "640320^{3}+744"));               // 7.5e-13 apart
    EXPECT_FALSE(same("10^{20}+\\sqrt{2}", "10^{20}+\\sqrt{3}"));
    EXPECT_FALSE(same("\\sqrt{2}", "\\sqrt{2}+10^{-30}"));
    EXPECT_FALSE(same("\\pi", "\\frac{355}{113}"));
    // The tolerance is the user's: a loose one accepts the near-identity.
    MathVerifyOptions loose;
    loose.compare.rel_tol = 1e-20;
    EXPECT_TRUE(verify_math("e^{\\pi\\sqrt{163}}", "640320^{3}+744", loose).correct);
    // Decimals still round to the gold's precision rule, computed at 256 bits.
    EXPECT_TRUE(same("\\sqrt{2}", "1.414214"));
    EXPECT_FALSE(same("\\sqrt{2}", "1.414213"));
}

// Sums of rational multiples of square roots and powers of pi are decided exactly, by canonical form.
TEST(MathVerifyTest, ExactRadicalRules) {
    auto form = [](const std::string& s) {
        ParseResult r = parse_latex(s);
        EXPECT_TRUE(r.expr) << s;
        Budget budget;
        return r.expr ? surd_value(*r.expr, budget) : std::nullopt;
    };
    EXPECT_EQ(form("2\\sqrt{2}"), form("\\sqrt{8}"));
    EXPECT_EQ(form("\\sqrt{\\frac{3}{4}}\\pi"), form("\\frac{\\pi\\sqrt{3}}{2}"));
    EXPECT_EQ(form("\\frac{1}{\\sqrt{2}-1}"), form("1+\\sqrt{2}"));
    EXPECT_EQ(form("(\\sqrt{2}+\\sqrt{3})^2"), form("5+2\\sqrt{6}"));
    EXPECT_EQ(form("\\frac{\\sqrt{6}}{\\sqrt{3}\\pi^{-2}}"), form("\\sqrt{2}\\pi^2"));
    EXPECT_EQ(form("\\sqrt{3 \\cdot 10007^2}"), form("10007\\sqrt{3}"));  // a square of a prime past the trial bound
    EXPECT_NE(form("\\sqrt{12}"), form("2\\sqrt{3}+10^{-50}"));
    const Surd two_root_two = *form("2\\sqrt{2}");
    ASSERT_EQ(two_root_two.size(), 1u);
    EXPECT_EQ(two_root_two.begin()->first.first, 2);   // radicand
    EXPECT_EQ(two_root_two.begin()->second, 2);        // coefficient
    // Outside the form: left to the numeric comparison.
    EXPECT_FALSE(form("\\sqrt[3]{2}"));
    EXPECT_FALSE(form("\\sqrt{1+\\sqrt{2}}"));
    EXPECT_FALSE(form("\\ln 2"));
    // A difference of 1e-50 is below any numeric tolerance; the exact rule still sees it.
    MathVerifyOptions loose;
    loose.compare.rel_tol = 1e-20;
    EXPECT_FALSE(verify_math("\\sqrt{12}", "2\\sqrt{3}+10^{-50}", loose).correct);
    EXPECT_TRUE(verify_math("\\sqrt{12}", "2\\sqrt{3}", loose).correct);
}

// Causes of misses found on the generated corpus (scripts/bench/math_verify.py).
TEST(MathVerifyTest, CorpusFindings) {
    EXPECT_TRUE(same("11", "$11\\text{ cm}^2$"));                              // a unit with an exponent
    EXPECT_TRUE(same("\\frac{11}{25}", "$\\frac{11}{25}\\ \\text{cm}^2$"));
    EXPECT_TRUE(same("x = 8880", "$x = 8{,}880$"));                              // digit groups in an expression
    EXPECT_TRUE(same("8881", "$8{,}880+1$"));
    EXPECT_TRUE(same("\\frac{12}{5525}", "$\\frac{12}{5,\\!525}$"));
    EXPECT_TRUE(same("\\lfloor\\sqrt{n-1}\\rfloor", "\\lfloor\\sqrt{-1+n}\\rfloor"));  // outside the domain
    EXPECT_TRUE(same("x = \\ln 2 + i\\frac{\\pi}{3}", "\\ln 2 + \\frac{i\\pi}{3}"));
    EXPECT_TRUE(same("m_{\\max}", "m_{\\max }"));                              // a command in a subscript
    EXPECT_TRUE(same("90^{\\prime\\prime}", "90^{\\prime \\prime}"));
    // A one-letter unit is stripped after a constant only; in an expression it is a variable.
    EXPECT_TRUE(same("5", "5 m"));
    EXPECT_TRUE(same("\\frac{1}{2}", "\\frac{1}{2}\\,g"));
    EXPECT_FALSE(same("x+5m", "x+5"));
    EXPECT_TRUE(same("6m", "x = 6m"));
    EXPECT_FALSE(same("3y", "3 g"));
    // One equation of a set of two is not the set (the values 90 = 90 do not make them equal).
    EXPECT_FALSE(same("\\angle B E A_{1}=90,\\angle A E B_{1}=90", "$\\angle A E B_{1}=90$"));
    // A box that does not parse is never graded by a number inside it.
    EXPECT_FALSE(same("2", "so the answer is \\boxed{m_{\\max }=n^{2}-n-1 \\zzz}."));
    EXPECT_FALSE(same("6", "\\boxed{M_{\\odot}^{6} \\zzz}"));
    EXPECT_FALSE(same("90", "\\boxed{\\angle A=90 \\zzz}"));
}

// A completion that corrects itself is graded by its last answer; boxes form a set only when joined as
// one answer (separators, connectives, labels, or spaces on one line).
TEST(MathVerifyTest, SelfCorrectionKeepsTheLastAnswer) {
    const std::string corrected = "So the answer is \\boxed{3}.\n\nWait, I made an error: 7 - 5 = 2, so it is \\boxed{2}.";
    EXPECT_TRUE(same("2", corrected));
    EXPECT_FALSE(same("3", corrected));
    EXPECT_FALSE(same("$2, 3$", corrected));
    EXPECT_TRUE(same("2", "\\boxed{3}, wait, no: \\boxed{2}"));
    EXPECT_TRUE(same("2", "\\boxed{3} or rather \\boxed{2}"));
    EXPECT_FALSE(same("3", "\\boxed{3} or rather \\boxed{2}"));
    const std::string twice = "So \\boxed{1}, \\boxed{2}. Hmm, let me recheck: it is \\boxed{3}, \\boxed{4}.";
    EXPECT_TRUE(same("$3, 4$", twice));
    EXPECT_FALSE(same("$1, 2$", twice));
    EXPECT_FALSE(same("$1, 2, 3, 4$", twice));
    // Joined boxes are one answer.
    EXPECT_TRUE(same("$1, 2$", "\\boxed{1}, \\boxed{2}"));
    EXPECT_TRUE(same("$1, 2$", "\\boxed{1} and \\boxed{2}"));
    EXPECT_TRUE(same("$1, 2, 3$", "The roots are \\boxed{1}, \\boxed{2}, and \\boxed{3}."));
    EXPECT_TRUE(same("$1, 2$", "The roots are \\boxed{1} \\boxed{2}"));
    EXPECT_TRUE(same("$1, 2$", "$x = \\boxed{1}$, $y_1 = \\boxed{2}$"));
    EXPECT_TRUE(same("$1, 2$", "\\(\\boxed{1}\\) \\text{ or } \\(\\boxed{2}\\)"));
    EXPECT_TRUE(same("$1, 2$", "\\boxed{1},\n\\boxed{2}"));
    // Boxes on separate lines without a connective: the last one.
    EXPECT_FALSE(same("$1, 2$", "\\boxed{1}\n\\boxed{2}"));
    EXPECT_TRUE(same("2", "\\boxed{1}\n\\boxed{2}"));
    // An answer phrase after the last box competes with it; one before it was given up for it and is no
    // fallback when the box does not parse.
    const std::string rephrased = "So the answer is \\boxed{3}.\n\nWait, I made an error. The answer is 2.";
    EXPECT_TRUE(same("2", rephrased));
    EXPECT_FALSE(same("3", rephrased));
    EXPECT_TRUE(same("2", "The final answer is 3. Wait, that is wrong: \\boxed{2}"));
    EXPECT_FALSE(same("$t(0,4]$", "So the answer is \\boxed{t(0,4]}. Wait, no, it is \\boxed{t[0,4]}."));
    EXPECT_TRUE(same("3", "The final answer is $\\boxed{3}$. I hope it is correct."));
    EXPECT_TRUE(same("3", "\\boxed{3}. The answer is correct."));
}

// LaTeX reads a function without parentheses as taking the product term that follows (\sin 2x is
// sin(2x)); degree marks in a trigonometric argument are pi/180; variables that cancel are compared by
// evaluation at random points.
TEST(MathVerifyTest, TrigonometryConventions) {
    EXPECT_TRUE(same("\\sin^2 x", "\\frac{1-\\cos 2x}{2}"));
    EXPECT_TRUE(same("\\cos^2 x", "\\frac{1+\\cos 2x}{2}"));
    EXPECT_FALSE(same("\\cos^2 x", "\\frac{1-\\cos 2x}{2}"));
    EXPECT_FALSE(same("\\sin^2 x", "\\cos^2 x"));
    EXPECT_TRUE(same("2\\sin x\\cos x", "\\sin 2x"));
    EXPECT_FALSE(same("\\sin 2x", "2\\sin x"));
    EXPECT_FALSE(same("\\sin 2x", "\\sin(2)x"));
    EXPECT_TRUE(same("\\cos 2\\theta", "1-2\\sin^2\\theta"));
    EXPECT_TRUE(same("\\sin x \\cos x", "\\frac{1}{2}\\sin 2x"));  // the argument stops at the next function
    EXPECT_TRUE(same("\\frac{\\sin x}{x}", "\\sin x / x"));          // and at an operator
    EXPECT_TRUE(same("y\\sin x", "\\sin(x) y"));
    EXPECT_TRUE(same("y\\sin x", "\\sin{x} y"));  // a brace group delimits the argument
    EXPECT_TRUE(same("\\log 2 + \\log x", "\\log 2x"));
    // Variables that cancel.
    EXPECT_TRUE(same("1", "\\sec^2 t - \\tan^2 t"));
    EXPECT_FALSE(same("1", "\\sec^2 t + \\tan^2 t"));
    EXPECT_TRUE(same("\\sin^2 t + \\cos^2 t", "\\sec^2 t - \\tan^2 t"));
    EXPECT_TRUE(same("7", "7 + \\sin^2 t - \\frac{1-\\cos 2t}{2}"));
    EXPECT_FALSE(same("7", "7 + \\cos^2 t - \\frac{1-\\cos 2t}{2}"));
    EXPECT_FALSE(same("1", "1 + 10^{-50} t"));  // exactly, at rational points
    EXPECT_FALSE(same("x", "y"));
    EXPECT_FALSE(same("\\sin x", "\\sin y"));
    // Degrees inside a trigonometric argument; elsewhere the mark is dropped as before.
    EXPECT_TRUE(same("\\frac{1}{2}", "\\sin 30^\\circ"));
    EXPECT_TRUE(same("\\frac{1}{2}", "\\sin(30^{\\circ})"));
    EXPECT_TRUE(same("0.5", "\\cos 60°"));
    EXPECT_TRUE(same("1", "\\tan 45^\\circ"));
    EXPECT_TRUE(same("1", "\\sin^2 30^\\circ + \\cos^2 30^\\circ"));
    EXPECT_TRUE(same("\\cos 58^\\circ", "\\sin 32^\\circ"));
    EXPECT_FALSE(same("\\frac{\\sqrt3}{2}", "\\sin 30^\\circ"));
    EXPECT_FALSE(same("\\frac{1}{2}", "\\sin 30"));  // radians
    EXPECT_FALSE(same("\\sin 30^\\circ", "\\sin 30"));
    EXPECT_TRUE(same("30", "30^\\circ"));
    EXPECT_TRUE(same("90^\\circ", "\\boxed{90^\\circ}"));
    EXPECT_FALSE(same("\\frac{\\pi}{6}", "30^\\circ"));
}

// The bracket kind of a matrix is notation; bars are not: vmatrix is a determinant, Vmatrix a norm.
TEST(MathVerifyTest, MatrixEnvironmentsAreInterchangeable) {
    const std::string m = "\\begin{pmatrix} 1 & 2 \\\\ 3 & \\frac{1}{2} \\end{pmatrix}";
    for (const char* env : {"bmatrix", "Bmatrix", "matrix", "smallmatrix", "pmatrix"}) {
        const std::string e(env);
        EXPECT_TRUE(same(m, "$\\begin{" + e + "} 1 & 2 \\\\ 3 & 0.5 \\end{" + e + "}$")) << env;
        EXPECT_FALSE(same(m, "$\\begin{" + e + "} 1 & 2 \\\\ 3 & 0.6 \\end{" + e + "}$")) << env;  // one entry
        EXPECT_FALSE(same(m, "$\\begin{" + e + "} 1 & 3 \\\\ 2 & 0.5 \\end{" + e + "}$")) << env;  // transposed
    }
    EXPECT_TRUE(same(m, "$\\left(\\begin{array}{cc} 1 & 2 \\\\ 3 & \\frac12 \\end{array}\\right)$"));
    EXPECT_TRUE(same(m, "$\\left[\\begin{array}{c|c} 1 & 2 \\\\ 3 & \\frac12 \\end{array}\\right]$"));
    EXPECT_TRUE(same(m, "The matrix is $\\boxed{\\begin{bmatrix}\n1 & 2 \\\\\n3 & 1/2\n\\end{bmatrix}}$."));
    EXPECT_FALSE(same(m, "$\\begin{bmatrix} 1 & 2 & 0 \\\\ 3 & \\frac12 & 0 \\end{bmatrix}$"));  // shape
    EXPECT_FALSE(same(m, "$\\begin{vmatrix} 1 & 2 \\\\ 3 & \\frac12 \\end{vmatrix}$"));
    EXPECT_FALSE(same(m, "$\\begin{Vmatrix} 1 & 2 \\\\ 3 & \\frac12 \\end{Vmatrix}$"));
    const std::string det = "\\begin{vmatrix} 1 & 2 \\\\ 3 & 4 \\end{vmatrix}";
    EXPECT_TRUE(same(det, "$\\begin{vmatrix} 1 & 2 \\\\ 3 & 4 \\end{vmatrix}$"));
    EXPECT_TRUE(same(det, "$\\det\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$"));
    EXPECT_FALSE(same(det, "$\\begin{Vmatrix} 1 & 2 \\\\ 3 & 4 \\end{Vmatrix}$"));
    EXPECT_FALSE(same(det, "$\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$"));
}

TEST(MathVerifyTest, WordAndLetterAnswers) {
    EXPECT_TRUE(same("\\text{odd}", "odd"));
    EXPECT_TRUE(same("\\text{odd}", "\\text{odd}"));
    EXPECT_TRUE(same("\\text{odd}", "\\boxed{\\text{Odd}}"));
    EXPECT_FALSE(same("\\text{odd}", "\\text{even}"));
    EXPECT_TRUE(same("C", "The answer is (C)."));
    EXPECT_TRUE(same("C", "\\boxed{\\text{(C)}}"));
    EXPECT_FALSE(same("C", "The answer is (B)."));
    EXPECT_TRUE(same("\\text{Evelyn}", "Evelyn"));
}

TEST(MathVerifyTest, NearMissesDoNotMatch) {
    EXPECT_FALSE(same("2.5", "2.05"));
    EXPECT_FALSE(same("-3", "3"));
    EXPECT_FALSE(same("(1, 2)", "(2, 1)"));
    EXPECT_FALSE(same("[1, 2)", "(1, 2)"));
    EXPECT_FALSE(same("x^2+1", "x^2-1"));
    EXPECT_FALSE(same("\\frac{1}{3}", "0.3333"));
    EXPECT_FALSE(same("\\{1, 2\\}", "\\{1, 2, 3\\}"));
    EXPECT_FALSE(same("5", "6"));
    EXPECT_FALSE(same("\\sqrt{2}\\cdot 10^{12}", "\\sqrt{2}\\cdot 10^{12} + 1"));  // relative 7e-13
    EXPECT_TRUE(same("\\sqrt{2}\\cdot 10^{12}", "10^{12}\\sqrt{2}"));
    EXPECT_FALSE(same("2^{100}", "2^{100} + 1"));                                    // exact
    // Polynomials compare exactly at rational points, whatever their degree.
    std::string poly;
    for (int i = 0; i < 400; ++i) poly += "x^{" + std::to_string(i) + "}+";
    EXPECT_FALSE(same(poly + "1", poly + "2"));
    EXPECT_TRUE(same(poly + "1", "1+" + poly.substr(0, poly.size() - 1)));
    // Large sets compare sorted.
    std::string set_a = "\\{", set_b = "\\{";
    for (int i = 0; i < 3000; ++i) set_a += std::to_string(i) + ",", set_b += std::to_string(2999 - i) + ",";
    EXPECT_TRUE(same(set_a + "5000\\}", set_b + "5000\\}"));
    EXPECT_FALSE(same(set_a + "5000\\}", set_b + "5001\\}"));
    // A line of maths too long to parse has no answer inside it (not its last number).
    std::string huge;
    for (int i = 0; i < 3000; ++i) huge += "x^{" + std::to_string(i) + "}+";
    EXPECT_FALSE(same(huge + "1", huge + "1+1"));
    // Equations compare exactly up to a constant factor; inequalities keep their direction.
    EXPECT_TRUE(same("x^{30} + 2y = 7", "3x^{30} + 6y - 21 = 0"));
    EXPECT_FALSE(same("x^{30} + 2y = 7", "3x^{30} + 6y - 20 = 0"));
    EXPECT_TRUE(same("x^{30} < 7", "-2x^{30} > -14"));
    EXPECT_FALSE(same("x^{30} < 7", "2x^{30} > 14"));
    EXPECT_FALSE(same("x < 2", "x \\le 2"));
    EXPECT_FALSE(same("5", "no number here"));
}

TEST(MathVerifyTest, HostileInputsEndQuicklyWithoutCrashing) {
    std::vector<std::string> hostile = {
        "5^{5^{5^{5^5}}}", "1000!", "100000!", "\\binom{100000}{50000}", std::string(100000, '9'),
        "\\frac{\\frac{\\frac{\\frac{1", "}}}}{", "\\boxed{}", "\\boxed{", std::string(5000, '(') + "1",
        std::string(3000, '-') + "1", "2^{2^{2^{2^{2^{2^{2}}}}}}", "\\sqrt[0]{2}", "1/0", "0^{-1}", "(-8)^{1/3}",
        "\\begin{pmatrix}1&2\\\\3\\end{pmatrix}", "\xff\xfe",
        "(\\sqrt{2}+\\sqrt{3}+\\sqrt{5}+\\sqrt{7}+\\sqrt{11}+\\sqrt{13}+\\pi)^{32}", "\\sqrt{" + std::string(300, '7') + "}",
        "e^{e^{e^{e^{e^{10}}}}}", "\\sin(10^{100})"};
    // Extraction scans stay linear: openers without closers, and long runs of boxes.
    std::vector<std::string> scans(5);
    for (int i = 0; i < 30000; ++i) scans[0] += "\\(", scans[1] += "\\[", scans[2] += "$$", scans[3] += "\\boxed{1} and ";
    scans[4] = "$" + std::string(19000, '{') + "$";
    hostile.insert(hostile.end(), scans.begin(), scans.end());
    for (const auto& h : hostile) {
        auto start = std::chrono::steady_clock::now();
        MathVerdict v = verify_math(h, h + " ");
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        EXPECT_LT(seconds, 2.0) << h.substr(0, 40);
        (void)v;
    }
    EXPECT_FALSE(same("5^{5^{5^{5^5}}}", "5^{5^{5^{5^4}}}"));
    EXPECT_TRUE(same("5^{5^{5^{5^5}}}", "5^{5^{5^{5^5}}}"));
}

// Inputs the fuzzer once crashed on (tests/data/math_fuzz_regressions): gold and prediction split at the
// first newline, as the fuzz target does.
TEST(MathVerifyTest, FuzzerFindingsStayFixed) {
    const std::string dir = std::string(AHA_SOURCE_DIR) + "/tests/data/math_fuzz_regressions/";
    for (const char* name : {"invalid_utf8_in_verdict", "text_with_two_decimal_points"}) {
        std::ifstream in(dir + name, std::ios::binary);
        ASSERT_TRUE(in) << name;
        std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const size_t cut = input.find('\n');
        MathVerdict v = verify_math(input.substr(0, cut), cut == std::string::npos ? input : input.substr(cut + 1));
        EXPECT_FALSE(v.to_json().dump(-1, ' ', false, Json::error_handler_t::replace).empty()) << name;
    }
}

// Agreement with math-verify 0.9.0 on its own test cases.
TEST(MathVerifyCasesTest, AgreesWithMathVerifyOnItsTestSuite) {
    std::ifstream in(std::string(AHA_SOURCE_DIR) + "/tests/data/math_verify_cases/cases.jsonl");
    ASSERT_TRUE(in) << "missing tests/data/math_verify_cases/cases.jsonl";
    std::string line;
    int total = 0, agree = 0, line_no = 0;
    std::string report;
    while (std::getline(in, line)) {
        ++line_no;
        Json c = Json::parse(line);
        MathVerifyOptions o;
        const Json& opts = c.at("options");
        if (opts.contains("precision")) o.compare.float_rounding = opts.at("precision").get<int>();
        if (opts.contains("strict")) o.compare.strict = opts.at("strict").get<bool>();
        if (opts.contains("allow_set_relation_comp")) o.compare.relation_as_set = opts.at("allow_set_relation_comp").get<bool>();
        MathVerdict v = verify_math(c.at("gold").get<std::string>(), c.at("pred").get<std::string>(), o);
        const bool expected = c.at("math_verify_expects").get<int>() == 1;
        ++total;
        if (v.correct == expected) {
            ++agree;
        } else {
            report += "  L" + std::to_string(line_no) + " expects " + std::to_string(expected) + ": gold " +
                      c.at("gold").dump() + " pred " + c.at("pred").dump().substr(0, 120) + " -> " + v.parsed_gold +
                      " | " + v.parsed_pred + " (" + v.reason + ")\n";
        }
    }
    std::printf("math-verify cases: aha agrees on %d of %d (%.1f%%)\n%s", agree, total, 100.0 * agree / total,
                report.c_str());
    EXPECT_EQ(total, 268);
    EXPECT_GE(agree, 263);  // the measured agreement (98.1%); the rest is listed in the test below
}

// Where aha and math-verify disagree on its cases, and why aha's verdict is the right one.
TEST(MathVerifyCasesTest, DisagreementsWithMathVerify) {
    // L32/L33: the answer 9 is right. The row expects 0 only because the upstream test ran LaTeX
    // extraction alone; math-verify itself, with the extraction the row names, also says 1.
    EXPECT_TRUE(same("$9$", "Answer $ \n 9 \n $"));
    EXPECT_TRUE(same("$9$", "Answer \\( \n 9 \n \\)"));
    // L110: the gold "1 = \zzz = x = 0" asserts 1 = 0 and uses an undefined command; math-verify keeps
    // its last part. A gold that does not parse grades nothing as correct.
    EXPECT_FALSE(same("$1 = \\zzz = x = 0$", "$0$"));
    // L218: the gold "\\boxed{W(n) = 1 \\text{ and } W(n) = -1" never closes its box; math-verify reduces
    // gold and prediction to their last number, -1, dropping the W(n) = 1 branch. A line of maths that
    // does not parse is not graded by a number inside it.
    EXPECT_FALSE(same("\\\\boxed{W(n) = 1 \\\\text{ and } W(n) = -1", "W(x)=1orW(x)=-1"));
    // L264: 1 - 1/e and 1 + 1/e differ (math-verify cuts both at a stray \mathrm and compares "1").
    EXPECT_FALSE(same("$1 - \\frac{1}{\\mathrm{e}}$", "$1 + \\frac{1}{\\mathrm{e}}$"));
    // L260, a sum with reordered factors, now agrees: sums parse, and trees that cannot be evaluated
    // compare with the terms of sums and products in a fixed order.
    EXPECT_TRUE(same("$F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}$", "$F_n = \\sum_{k=0}^{n-1} F_{n-k-1} F_k$"));
}

}  // namespace
}  // namespace aha::verifiers::math
