// The tokenizer of the answer parser; see lexer.h.
#include "verifiers/math/lexer.h"

#include <cctype>
#include <map>

#include "verifiers/math/text.h"

namespace aha::verifiers::math::detail {

namespace {

const std::map<std::string, std::pair<T, std::string>>& unicode_tokens() {
    static const std::map<std::string, std::pair<T, std::string>> kMap = {
        {"≤", {T::kCommand, "le"}},    {"≥", {T::kCommand, "ge"}},    {"≠", {T::kCommand, "ne"}},
        {"±", {T::kCommand, "pm"}},    {"∓", {T::kCommand, "mp"}},    {"×", {T::kCommand, "times"}},
        {"÷", {T::kCommand, "div"}},   {"·", {T::kCommand, "cdot"}},  {"−", {T::kSymbol, "-"}},
        {"π", {T::kCommand, "pi"}},    {"√", {T::kCommand, "sqrt"}},  {"∞", {T::kCommand, "infty"}},
        {"∈", {T::kCommand, "in"}},    {"∪", {T::kCommand, "cup"}},   {"∩", {T::kCommand, "cap"}},
        {"≈", {T::kCommand, "approx"}}, {"–", {T::kSymbol, "-"}},
    };
    return kMap;
}

size_t closing(const std::string& s, size_t open) {
    size_t close = detail::closing_brace(s, open);
    if (close == std::string::npos) throw Fail("unbalanced braces");
    return close;
}

bool is_text_command(const std::string& c) {
    for (const char* t : {"text", "textbf", "textit", "textrm", "textnormal", "mbox", "mathrm", "mathbf", "mathit",
                          "mathsf", "textsf", "mathtt", "texttt", "emph"}) {
        if (c == t) return true;
    }
    return false;
}

}  // namespace

std::vector<Token> tokenize(const std::string& s) {
    std::vector<Token> out;
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = s[i];
        if (std::isspace(c)) {
            ++i;
        } else if (c == 0x02) {  // a matrix row separator (normalize_latex)
            out.push_back({T::kCommand, "\\"});
            ++i;
        } else if (c == 0x03) {  // a degree mark (normalize_latex)
            out.push_back({T::kCommand, "degree"});
            ++i;
        } else if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
            size_t j = i;
            while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
            if (j < s.size() && s[j] == '.' && j + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
                ++j;
                while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
            }
            out.push_back({T::kNumber, s.substr(i, j - i)});
            i = j;
        } else if (std::isalpha(c)) {
            out.push_back({T::kLetter, std::string(1, static_cast<char>(c))});
            ++i;
        } else if (c == '\\') {
            size_t j = i + 1;
            while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
            if (j == i + 1 && j < s.size()) ++j;  // \{ \} \, \\ ...
            std::string cmd = s.substr(i + 1, j - i - 1);
            i = j;
            if (is_text_command(cmd)) {
                while (i < s.size() && s[i] == ' ') ++i;
                if (i >= s.size() || s[i] != '{') throw Fail("\\" + cmd + " without {");
                size_t close = closing(s, i);
                out.push_back({T::kText, s.substr(i + 1, close - i - 1)});
                i = close + 1;
            } else {
                out.push_back({T::kCommand, cmd});
            }
        } else if (c >= 0x80) {
            bool known = false;
            for (const auto& [u, tok] : unicode_tokens()) {
                if (s.compare(i, u.size(), u) == 0) {
                    out.push_back({tok.first, tok.second});
                    i += u.size();
                    known = true;
                    break;
                }
            }
            if (!known) throw Fail("unexpected character");
        } else {
            out.push_back({T::kSymbol, std::string(1, static_cast<char>(c))});
            ++i;
        }
    }
    out.push_back({T::kEnd, ""});
    return out;
}

mpq_class parse_decimal(const std::string& text, bool& decimal) {
    auto dot = text.find('.');
    decimal = dot != std::string::npos;
    if (!decimal) return mpq_class(mpz_class(text, 10));
    std::string digits = text.substr(0, dot) + text.substr(dot + 1);
    mpz_class den;
    mpz_ui_pow_ui(den.get_mpz_t(), 10, text.size() - dot - 1);
    mpq_class q(mpz_class(digits.empty() ? "0" : digits, 10), den);
    q.canonicalize();
    return q;
}

}  // namespace aha::verifiers::math::detail
