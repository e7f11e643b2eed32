// The Countdown check: answer extraction, a recursive-descent parser that evaluates in GMP rationals, and
// the multiset check of the numbers used; see countdown.h.
#include "verifiers/countdown.h"

#include <gmpxx.h>

#include <algorithm>
#include <cstdio>

#include "core/config.h"
#include "core/error.h"
#include "core/strings.h"

namespace aha::verifiers {

namespace {

constexpr const char* kOpen = "<answer>";
constexpr const char* kClose = "</answer>";
constexpr const char* kSpace = " \t\n\r\f\v";

bool is_space(char c) { return std::char_traits<char>::find(kSpace, 6, c) != nullptr; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(kSpace);
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// "'^' at column 3", with bytes outside printable ASCII written as \xNN.
std::string at_column(char c, size_t i) {
    char shown[8];
    if (c >= 0x21 && c <= 0x7e) {
        std::snprintf(shown, sizeof shown, "%c", c);
    } else {
        std::snprintf(shown, sizeof shown, "\\x%02x", static_cast<unsigned char>(c));
    }
    return "'" + std::string(shown) + "' at column " + std::to_string(i + 1);
}

std::string list(const std::vector<std::string>& items) { return "[" + join(items) + "]"; }

// Recursive descent over the grammar in countdown.h, evaluating as it goes. A zero divisor does not stop
// the parse (a syntax error or wrong numbers elsewhere is reported first); its quotient is taken as 0.
class Parser {
public:
    explicit Parser(const std::string& text) : s_(text) {}

    // False with error() set when the text is not one whole expression.
    bool parse(mpq_class& value) {
        if (!expr(value, 0)) return false;
        skip_space();
        if (i_ < s_.size()) return fail("unexpected " + at_column(s_[i_], i_));
        return true;
    }

    const std::vector<std::string>& literals() const { return literals_; }
    bool divided_by_zero() const { return divided_by_zero_; }
    bool too_deep() const { return too_deep_; }
    const std::string& error() const { return error_; }

private:
    bool expr(mpq_class& out, int depth) {
        if (!term(out, depth)) return false;
        for (char op; (op = peek()) == '+' || op == '-';) {
            ++i_;
            mpq_class rhs;
            if (!term(rhs, depth)) return false;
            out = op == '+' ? mpq_class(out + rhs) : mpq_class(out - rhs);
        }
        return true;
    }

    bool term(mpq_class& out, int depth) {
        if (!factor(out, depth)) return false;
        for (char op; (op = peek()) == '*' || op == '/';) {
            ++i_;
            mpq_class rhs;
            if (!factor(rhs, depth)) return false;
            if (op == '*') {
                out *= rhs;
            } else if (rhs == 0) {
                divided_by_zero_ = true;
                out = 0;
            } else {
                out /= rhs;
            }
        }
        return true;
    }

    bool factor(mpq_class& out, int depth) {
        if (depth >= kCountdownMaxDepth) {
            too_deep_ = true;
            return fail("nested deeper than " + std::to_string(kCountdownMaxDepth));
        }
        const char c = peek();
        if (c == '+' || c == '-') {
            ++i_;
            if (!factor(out, depth + 1)) return false;
            if (c == '-') out = -out;
            return true;
        }
        if (c == '(') {
            ++i_;
            if (!expr(out, depth + 1)) return false;
            if (peek() != ')') return fail(i_ < s_.size() ? "expected ')', got " + at_column(s_[i_], i_) : "unclosed '('");
            ++i_;
            return true;
        }
        if (is_digit(c)) return integer(out);
        return fail(i_ < s_.size() ? "expected a number or '(', got " + at_column(c, i_) : "expected a number or '(' at the end");
    }

    bool integer(mpq_class& out) {
        const size_t begin = i_;
        while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        std::string digits = s_.substr(begin, i_ - begin);
        if (digits.size() > 1 && digits[0] == '0') return fail("leading zero in '" + digits + "'");
        out = mpq_class(mpz_class(digits, 10));
        literals_.push_back(std::move(digits));
        return true;
    }

    // The next non-space character, or '\0' at the end.
    char peek() {
        skip_space();
        return i_ < s_.size() ? s_[i_] : '\0';
    }
    void skip_space() {
        while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    }
    bool fail(std::string what) {
        if (error_.empty()) error_ = std::move(what);
        return false;
    }

    const std::string& s_;
    size_t i_ = 0;
    std::vector<std::string> literals_;
    bool divided_by_zero_ = false;
    bool too_deep_ = false;
    std::string error_;
};

// The first character outside the alphabet, or npos.
size_t first_bad_character(const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (!is_digit(c) && !is_space(c) && std::string("+-*/()").find(c) == std::string::npos) return i;
    }
    return std::string::npos;
}

// Multiset equality of the numbers written (canonical decimal strings: leading zeros are rejected).
bool same_numbers(std::vector<std::string> used, const std::vector<int64_t>& given) {
    std::vector<std::string> want;
    for (int64_t n : given) want.push_back(std::to_string(n));
    std::sort(used.begin(), used.end());
    std::sort(want.begin(), want.end());
    return used == want;
}

int64_t read_integer(const Json& v, const std::string& key) {
    if (!v.is_number_integer()) throw FormatError("countdown reward: " + key + ": expected an integer, got " + v.dump());
    return v.get<int64_t>();
}

}  // namespace

const char* countdown_check_name(CountdownCheck c) {
    switch (c) {
        case CountdownCheck::kCorrect: return "correct";
        case CountdownCheck::kNoAnswer: return "no_answer";
        case CountdownCheck::kTooLong: return "too_long";
        case CountdownCheck::kBadCharacter: return "bad_character";
        case CountdownCheck::kSyntax: return "syntax";
        case CountdownCheck::kWrongNumbers: return "wrong_numbers";
        case CountdownCheck::kDivisionByZero: return "division_by_zero";
        case CountdownCheck::kWrongValue: return "wrong_value";
    }
    return "?";
}

CountdownTask CountdownTask::from_json_text(const std::string& text) {
    const std::string shape = "expected {\"numbers\": [...], \"target\": N}";
    Json j;
    try {
        j = Json::parse(text);
    } catch (const Json::parse_error&) {
        throw FormatError("countdown reward: the expected value is not JSON; " + shape);
    }
    if (!j.is_object() || !j.contains("numbers") || !j.contains("target")) throw FormatError("countdown reward: " + shape);
    for (const auto& item : j.items()) {
        if (item.key() != "numbers" && item.key() != "target") {
            throw FormatError("countdown reward: unknown key '" + item.key() + "'; " + shape);
        }
    }
    CountdownTask t;
    const Json& numbers = j["numbers"];
    if (!numbers.is_array() || numbers.empty()) throw FormatError("countdown reward: numbers: expected a non-empty array");
    for (size_t i = 0; i < numbers.size(); ++i) {
        const std::string key = "numbers[" + std::to_string(i) + "]";
        t.numbers.push_back(read_integer(numbers[i], key));
        if (t.numbers.back() < 0) throw FormatError("countdown reward: " + key + ": expected a non-negative integer");
    }
    t.target = read_integer(j["target"], "target");
    return t;
}

std::optional<std::string> last_tagged_answer(const std::string& completion) {
    const size_t open_len = std::char_traits<char>::length(kOpen);
    const size_t close_len = std::char_traits<char>::length(kClose);
    std::optional<std::string> last;
    for (size_t pos = 0;;) {
        const size_t open = completion.find(kOpen, pos);
        if (open == std::string::npos) break;
        const size_t close = completion.find(kClose, open + open_len);
        if (close == std::string::npos) break;
        last = trim(completion.substr(open + open_len, close - open - open_len));
        pos = close + close_len;
    }
    return last;
}

CountdownResult check_countdown(const std::string& completion, const CountdownTask& task) {
    CountdownResult r;
    std::optional<std::string> equation = last_tagged_answer(completion);
    if (!equation) return r;
    r.equation = std::move(*equation);
    auto fail = [&r](CountdownCheck check, std::string detail) {
        r.check = check;
        r.detail = std::move(detail);
        return r;
    };
    if (r.equation.size() > kCountdownMaxChars) {
        return fail(CountdownCheck::kTooLong, std::to_string(r.equation.size()) + " characters, over " + std::to_string(kCountdownMaxChars));
    }
    if (size_t bad = first_bad_character(r.equation); bad != std::string::npos) {
        return fail(CountdownCheck::kBadCharacter, at_column(r.equation[bad], bad) + "; allowed: digits, + - * / ( ) and spaces");
    }
    Parser parser(r.equation);
    mpq_class value;
    if (!parser.parse(value)) return fail(parser.too_deep() ? CountdownCheck::kTooLong : CountdownCheck::kSyntax, parser.error());
    if (!same_numbers(parser.literals(), task.numbers)) {
        std::vector<std::string> given;
        for (int64_t n : task.numbers) given.push_back(std::to_string(n));
        return fail(CountdownCheck::kWrongNumbers, "uses " + list(parser.literals()) + ", given " + list(given));
    }
    if (parser.divided_by_zero()) return fail(CountdownCheck::kDivisionByZero, "a divisor is zero");
    r.value = value.get_str();
    if (value != mpq_class(mpz_class(std::to_string(task.target), 10))) {
        return fail(CountdownCheck::kWrongValue, "equals " + r.value + ", target " + std::to_string(task.target));
    }
    r.check = CountdownCheck::kCorrect;
    return r;
}

}  // namespace aha::verifiers
