// The clean-up of an extracted answer before parsing; see parser.h. Plain string passes, no regex.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "verifiers/math/parser.h"
#include "verifiers/math/text.h"

namespace aha::verifiers::math {

namespace {

using detail::closing_brace;
using detail::trim;

constexpr char kDegree = '\x03';  // what degree marks become (the lexer reads it as the command "degree")

// Unit words stripped after a number at the end of an answer ("35 cm", "12 \text{ dollars}"). Plural
// forms are matched too (a trailing "s" or "es"). Single letters are not units here: "x + 5 m" keeps m.
const std::vector<std::string>& unit_words() {
    static const std::vector<std::string> kUnits = {
        "mm", "cm", "m", "km", "meter", "metre", "centimeter", "centimetre", "kilometer", "kilometre", "inch",
        "inches", "ft", "feet", "foot", "yard", "mile", "mi", "mg", "g", "gram", "kg", "kilogram", "lb", "lbs",
        "pound", "ounce", "oz", "ton", "tonne", "ml", "liter", "litre", "gallon", "gal", "cup", "sec", "second",
        "min", "minute", "hr", "hour", "day", "week", "month", "year", "yr", "mph", "kmh", "kph", "degree",
        "deg", "radian", "rad", "dollar", "cent", "euro", "rupee", "rs", "unit", "square", "sq", "cubic", "cu",
        "percent", "point", "student", "people", "person", "child", "children", "apple", "ticket", "page",
        "book", "coin", "marble", "item", "time", "way", "step", "game", "visitor", "customer", "bag", "box",
        "egg", "hat", "car", "mile per hour"};
    return kUnits;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    if (from.empty()) return;
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
        s.replace(pos, from.size(), to);
    }
}

// Removes a trailing \text{...} label (units, words) when something precedes it.
bool strip_trailing_text(std::string& s) {
    for (const char* cmd : {"\\text", "\\mbox", "\\textrm", "\\mathrm", "\\textbf", "\\textnormal", "\\textit"}) {
        size_t pos = s.rfind(std::string(cmd) + "{");
        if (pos == std::string::npos || pos == 0) continue;
        size_t close = closing_brace(s, pos + std::string(cmd).size());
        if (close == std::string::npos) continue;
        // A unit may carry an exponent: \text{ cm}^2, \text{m}^{3}.
        std::string after = trim(s.substr(close + 1));
        if (after != "" && after != "^2" && after != "^3" && after != "^{2}" && after != "^{3}") continue;
        std::string before = trim(s.substr(0, pos));
        if (before.empty()) continue;
        // A label after an operator is part of the maths ("2\cdot\text{m}"): keep it.
        char last = before.back();
        if (std::isdigit(static_cast<unsigned char>(last)) || last == '}' || last == ')' || last == ' ' ||
            last == kDegree || std::isalpha(static_cast<unsigned char>(last))) {
            s = before;
            return true;
        }
    }
    return false;
}

// True when `s` has a letter outside the names of backslash commands (\frac, \sqrt).
bool has_variable(const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\') {
            while (i + 1 < s.size() && std::isalpha(static_cast<unsigned char>(s[i + 1]))) ++i;
        } else if (std::isalpha(static_cast<unsigned char>(s[i]))) {
            return true;
        }
    }
    return false;
}

// Removes a trailing unit word (or its plural) that follows a number, a closing brace or a space.
bool strip_trailing_unit(std::string& s) {
    std::string t = trim(s);
    size_t end = t.size(), begin = end;
    while (begin > 0 && (std::isalpha(static_cast<unsigned char>(t[begin - 1])) || t[begin - 1] == '^' ||
                         (std::isdigit(static_cast<unsigned char>(t[begin - 1])) && begin < end && t[begin] == '^'))) {
        --begin;
    }
    if (begin == end || begin == 0) return false;
    std::string word = t.substr(begin, end - begin);
    std::string lower = detail::lower(word);
    for (const char* suffix : {"^2", "^3"}) {
        if (lower.size() > 2 && lower.compare(lower.size() - 2, 2, suffix) == 0) lower.resize(lower.size() - 2);
    }
    bool unit = false;
    for (const auto& u : unit_words()) {
        if (lower == u || lower == u + "s" || lower == u + "es") unit = true;
    }
    if (!unit) return false;
    char before = t[begin - 1];
    // Only after a number or a group ("35 cm", "5\text{ }cm"), never inside a product of letters.
    std::string rest = trim(t.substr(0, begin));
    if (rest.empty()) return false;
    char last = rest.back();
    if (!(std::isdigit(static_cast<unsigned char>(last)) || last == '}' || last == ')' || last == '.' || last == kDegree)) {
        return false;
    }
    if (!(before == ' ' || std::isdigit(static_cast<unsigned char>(before)) || before == '}' || before == kDegree)) {
        return false;
    }
    // A one-letter unit (m, g) only after a constant: in "x + 5m" the m is a variable, in "x = 5m" a unit.
    if (lower.size() == 1 && has_variable(rest.substr(rest.rfind('=') == std::string::npos ? 0 : rest.rfind('=') + 1))) {
        return false;
    }
    s = rest;
    return true;
}

// An entire "1,234,567", "1 234 567" or "12\,345.5" (digit groups of three) becomes one number.
std::string join_thousands(const std::string& s) {
    std::string t = trim(s), digits;
    size_t i = 0;
    if (i < t.size() && t[i] == '-') digits += t[i++];
    size_t first = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) digits += t[i++];
    if (i - first < 1 || i - first > 3) return s;
    bool grouped = false;
    while (i < t.size() && (t[i] == ',' || t[i] == ' ')) {
        size_t j = i + 1, n = 0;
        while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j, ++n;
        if (n != 3) return s;
        digits += t.substr(i + 1, 3);
        i = j;
        grouped = true;
    }
    if (!grouped) return s;
    if (i < t.size() && t[i] == '.') {
        size_t j = i + 1;
        while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
        if (j == i + 1) return s;
        digits += t.substr(i, j - i);
        i = j;
    }
    return i == t.size() ? digits : s;
}

// "and"/"or" as whole words become commas ("(11,7)or(7,11)", "1, 2, and 3").
std::string words_to_commas(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        bool boundary_before = i == 0 || !(detail::is_alpha(s[i - 1]) || s[i - 1] == '\\');
        size_t len = s.compare(i, 3, "and") == 0 ? 3 : s.compare(i, 2, "or") == 0 ? 2 : 0;
        if (len && boundary_before && (i + len == s.size() || !detail::is_alpha(s[i + len]))) {
            while (!out.empty() && (out.back() == ' ' || out.back() == ',')) out.pop_back();
            out += ",";
            i += len;
            while (i < s.size() && (s[i] == ' ' || s[i] == ',')) ++i;
            continue;
        }
        out += s[i++];
    }
    return out;
}

// A trailing percent word after a number is a percent sign: "28 pct", "28 percentage".
void percent_words(std::string& s) {
    for (const char* w : {"\\text{percentage}", "\\text{percent}", "\\text{pct}", "percentage", "percent", "pct"}) {
        const std::string word(w);
        std::string t = trim(s);
        if (t.size() > word.size() && t.compare(t.size() - word.size(), word.size(), word) == 0) {
            std::string before = trim(t.substr(0, t.size() - word.size()));
            if (!before.empty() && (detail::is_digit(before.back()) || before.back() == '}')) {
                s = before + "%";
                return;
            }
        }
    }
}

}  // namespace

std::string normalize_latex(const std::string& text) {
    std::string s = text;
    // Doubled backslashes from escaped sources (\\frac) outside matrices, where \\ separates rows.
    if (s.find("matrix") == std::string::npos && s.find("array") == std::string::npos &&
        s.find("cases") == std::string::npos) {
        for (size_t p = s.find("\\\\"); p != std::string::npos; p = s.find("\\\\", p + 1)) {
            if (p + 2 < s.size() && detail::is_alpha(s[p + 2])) s.erase(p, 1);
        }
    }
    // A separator between a digit and exactly three digits inside an expression joins the groups:
    // 8{,}880 + 1, \frac{12}{5,\!525}, x = 8\,880.
    for (const char* sep : {"{,}", ",\\!", "\\,"}) {
        const std::string sp(sep);
        for (size_t p = s.find(sp); p != std::string::npos; p = s.find(sp, p + 1)) {
            size_t q = p + sp.size();
            while (q < s.size() && s[q] == ' ') ++q;
            size_t digits = 0;
            while (q + digits < s.size() && detail::is_digit(s[q + digits])) ++digits;
            if (p > 0 && detail::is_digit(s[p - 1]) && digits == 3) s.erase(p, q - p);
        }
    }
    replace_all(s, "\\\\", "\x02");  // the row separator, kept apart from the spacing commands below
    replace_all(s, ",\\! ", ",");
    replace_all(s, ",\\!", ",");
    for (const char* drop : {"\\displaystyle", "\\textstyle", "\\left.", "\\right.", "\\left", "\\right",
                             "\\bigl", "\\bigr", "\\Bigl", "\\Bigr", "\\big", "\\Big", "\\!", "\\$", "$",
                             "\\limits"}) {
        replace_all(s, drop, "");
    }
    // Degree marks become one sign for the parser: radians inside a trigonometric argument, else dropped.
    for (const char* degree : {"^{\\circ}", "^\\circ", "\\circ", "^{\\degree}", "\\degree", "°"}) {
        replace_all(s, degree, std::string(1, kDegree));
    }
    for (const char* frac : {"\\dfrac", "\\tfrac", "\\cfrac"}) replace_all(s, frac, "\\frac");
    replace_all(s, "\\%", "%");
    // {,} (a comma that is not a list separator, with any spaces) joins digit groups: 14{,}916, 14 {, }916.
    for (size_t p = s.find('{'); p != std::string::npos; p = s.find('{', p + 1)) {
        size_t q = p + 1;
        while (q < s.size() && s[q] == ' ') ++q;
        if (q >= s.size() || s[q] != ',') continue;
        ++q;
        while (q < s.size() && s[q] == ' ') ++q;
        if (q >= s.size() || s[q] != '}') continue;
        size_t b = p;
        while (b > 0 && s[b - 1] == ' ') --b;
        size_t e = q + 1;
        while (e < s.size() && s[e] == ' ') ++e;
        s.replace(b, e - b, ",");
        p = b;
    }
    // Spacing commands become spaces; a thin space between digit groups is a thousands separator.
    for (const char* space : {"\\qquad", "\\quad", "\\,", "\\;", "\\:", "\\ ", "~", "\n", "\t", "\r"}) {
        replace_all(s, space, " ");
    }
    for (const char* joiner : {"\\text{ and }", "\\text{ or }", "\\text{and}", "\\text{or}"}) replace_all(s, joiner, ",");
    s = words_to_commas(s);
    // Commas with nothing between them ("19, 46, , 82" after "\\text{ and }") are one.
    for (size_t p = s.find(','); p != std::string::npos; p = s.find(',', p + 1)) {
        size_t q = p + 1;
        while (q < s.size() && s[q] == ' ') ++q;
        if (q < s.size() && s[q] == ',') s.erase(p + 1, q - p);
    }
    percent_words(s);
    for (int round = 0; round < 2; ++round) {
        bool changed = strip_trailing_text(s);
        changed = strip_trailing_unit(s) || changed;
        if (!changed) break;
    }
    s = trim(s);
    while (!s.empty() && (s.back() == '.' || s.back() == ',')) s = trim(s.substr(0, s.size() - 1));
    return join_thousands(s);
}

}  // namespace aha::verifiers::math
