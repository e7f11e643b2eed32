// Answer candidates of a completion, in priority order; see extract.h. Hand-written scanners, no regex.
#include "verifiers/math/extract.h"

#include "verifiers/math/text.h"

#include <algorithm>
#include <cctype>

namespace aha::verifiers::math {

namespace {

using detail::lower;
using detail::trim;

struct Box {
    size_t begin, end;  // the whole \boxed{...}
    std::string content;
};

std::vector<Box> boxes(const std::string& s) {
    std::vector<Box> out;
    size_t b = s.find("\\boxed"), f = s.find("\\fbox");  // the next of each, searched again only once passed
    for (size_t pos = 0; pos < s.size();) {
        if (b != std::string::npos && b < pos) b = s.find("\\boxed", pos);
        if (f != std::string::npos && f < pos) f = s.find("\\fbox", pos);
        size_t at = std::min(b, f);
        if (at == std::string::npos) break;
        size_t i = at + (at == b ? 6 : 5);
        while (i < s.size() && s[i] == ' ') ++i;
        if (i < s.size() && s[i] == '{') {
            size_t close = detail::closing_brace(s, i);
            if (close == std::string::npos) break;
            out.push_back({at, close + 1, trim(s.substr(i + 1, close - i - 1))});
            pos = close + 1;
        } else if (i < s.size()) {
            // \boxed 5: up to the next space or '$'.
            size_t j = i;
            while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '$') ++j;
            out.push_back({at, j, s.substr(i, j - i)});
            pos = std::max(j, i + 1);
        } else {
            break;
        }
    }
    return out;
}

// True when t has the word w (not inside a longer word).
bool has_word(const std::string& t, const char* w) {
    const size_t n = std::string(w).size();
    for (size_t p = t.find(w); p != std::string::npos; p = t.find(w, p + 1)) {
        if ((p == 0 || !detail::is_alpha(t[p - 1])) && (p + n == t.size() || !detail::is_alpha(t[p + n]))) return true;
    }
    return false;
}

// Text between two answers that joins them into one set: very short, or short with and/or/a comma
// ("\boxed{1} papers and \boxed{2} bins"), but not a long stretch of reasoning.
bool joins(const std::string& between) {
    if (between.size() < 10) return true;
    if (between.size() >= 70) return false;
    std::string t = lower(between);
    if (t.find(',') != std::string::npos || t.find(';') != std::string::npos) return true;
    return has_word(t, "and") || has_word(t, "or");
}

// Only separators (, ; & $ spacing commands, \( \)), connectives (and, or, \text{ and }) and labels
// (x =, a_1 =); a line break only together with a separator or a connective.
bool only_separators(const std::string& between) {
    bool joined = false, newline = false;
    for (size_t i = 0; i < between.size();) {
        const char c = between[i];
        if (c == '\n') {
            newline = true;
            ++i;
        } else if (std::isspace(static_cast<unsigned char>(c)) || c == '$' || c == '~' || c == '{' || c == '}') {
            ++i;
        } else if (c == ',' || c == ';' || c == '&') {
            joined = true;
            ++i;
        } else if (c == '\\') {
            size_t j = i + 1;
            while (j < between.size() && detail::is_alpha(between[j])) ++j;
            if (j == i + 1 && j < between.size()) ++j;  // \, \; \( \\ .
            const std::string cmd = between.substr(i + 1, j - i - 1);
            bool known = false;
            for (const char* k : {"quad", "qquad", ",", ";", ":", " ", "(", ")", "[", "]", "\\", "text", "mbox", "textrm",
                                  "mathrm", "textnormal"}) {
                known = known || cmd == k;
            }
            if (!known) return false;
            newline = newline || cmd == "\\";
            i = j;
        } else if (detail::is_alpha(c)) {
            size_t j = i;
            while (j < between.size() && detail::is_alpha(between[j])) ++j;
            const std::string word = lower(between.substr(i, j - i));
            if (word == "and" || word == "or") {
                joined = true;
                i = j;
                continue;
            }
            // A label: up to three letters, an optional subscript, then '='.
            if (word.size() > 3) return false;
            if (j < between.size() && between[j] == '_') {
                ++j;
                if (j < between.size() && between[j] == '{') {
                    size_t close = detail::closing_brace(between, j);
                    if (close == std::string::npos) return false;
                    j = close + 1;
                } else if (j < between.size() && std::isalnum(static_cast<unsigned char>(between[j]))) {
                    ++j;
                }
            }
            while (j < between.size() && between[j] == ' ') ++j;
            if (j == between.size() || between[j] != '=') return false;
            i = j + 1;
        } else {
            return false;
        }
    }
    return joined || !newline;
}

// Text between two boxes that makes them one answer: only separators and connectives; or a short phrase
// of one sentence with "and"/"or" ("\boxed{1} papers and \boxed{2} bins") that does not correct itself;
// or a few signs without words. Anything else is reasoning, and the later box is the answer:
// "\boxed{3}. Wait, I made an error ... \boxed{2}" is 2.
bool joins_boxes(const std::string& between) {
    if (only_separators(between)) return true;
    const std::string t = lower(between);
    if (t.find('\n') != std::string::npos) return false;
    if (t.size() < 10) return std::none_of(t.begin(), t.end(), [](char c) { return detail::is_alpha(c); });
    if (t.size() >= 70 || !(has_word(t, "and") || has_word(t, "or"))) return false;
    for (size_t p = t.find_first_of(".?!"); p != std::string::npos; p = t.find_first_of(".?!", p + 1)) {
        if (p + 1 == t.size() || std::isspace(static_cast<unsigned char>(t[p + 1]))) return false;  // a sentence ends
    }
    for (const char* w : {"wait", "actually", "rather", "instead", "mistake", "error", "wrong", "incorrect", "correct",
                          "corrected", "correction", "recheck", "recalculate", "no", "not", "oops", "sorry", "hmm", "but"}) {
        if (has_word(t, w)) return false;
    }
    return true;
}

// The last run of items (boxes or math environments) joined into a set: by `joins_boxes` for boxes,
// by short and/or/comma text for math environments.
template <typename Item>
std::string last_run(const std::vector<Item>& items, const std::string& s, bool (*joined)(const std::string&) = joins) {
    if (items.empty()) return "";
    size_t first = items.size() - 1;
    while (first > 0 && joined(s.substr(items[first - 1].end, items[first].begin - items[first - 1].end))) --first;
    std::string out;
    for (size_t i = first; i < items.size(); ++i) out += (i > first ? ", " : "") + items[i].content;
    return out;
}

struct Env {
    size_t begin, end;
    std::string content;
};

// $$...$$, \[...\], $...$ (one line), \(...\) in order of appearance.
std::vector<Env> math_envs(const std::string& s) {
    std::vector<Env> out;
    // Per opener kind, a range of scan starts already known to find no closer (to the end of the text,
    // or to the end of the line for one-line kinds): "\\(" repeated 30k times stays linear.
    size_t dead_from[4] = {std::string::npos, std::string::npos, std::string::npos, std::string::npos};
    size_t dead_to[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < s.size();) {
        auto take = [&](int kind, const std::string& open, const std::string& close, bool one_line) {
            if (s.compare(i, open.size(), open) != 0) return false;
            size_t j = i + open.size();
            if (j >= dead_from[kind] && j < dead_to[kind]) return false;
            const size_t start = j;
            for (; j + close.size() <= s.size(); ++j) {
                if (one_line && s[j] == '\n') {
                    dead_from[kind] = start;
                    dead_to[kind] = j;
                    return false;
                }
                if (s[j] == '\\' && close[0] == '$' && j + 1 < s.size() && s[j + 1] == '$') {
                    ++j;  // \$ inside
                    continue;
                }
                if (s.compare(j, close.size(), close) == 0) break;
            }
            if (j + close.size() > s.size()) {
                dead_from[kind] = start;
                dead_to[kind] = s.size() + 1;
                return false;
            }
            std::string content = trim(s.substr(i + open.size(), j - i - open.size()));
            if (!content.empty()) out.push_back({i, j + close.size(), content});
            i = j + close.size();
            return true;
        };
        if (i > 0 && s[i - 1] == '\\' && s[i] == '$') {
            ++i;
            continue;
        }
        if (take(0, "$$", "$$", false) || take(1, "\\[", "\\]", false) || take(2, "\\(", "\\)", true) ||
            (s[i] == '$' && take(3, "$", "$", true))) {
            continue;
        }
        ++i;
    }
    return out;
}

}  // namespace

bool looks_like_math(const std::string& s) {
    // Prose has words: three or more letters in a row that are not a command (\frac) or a function name.
    for (size_t i = 0; i < s.size();) {
        if (!detail::is_alpha(s[i])) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < s.size() && detail::is_alpha(s[j])) ++j;
        const std::string word = lower(s.substr(i, j - i));
        const bool command = i > 0 && s[i - 1] == '\\';
        // The words of a \text{...} (or \mathrm, \mbox) group are an answer's words, not prose; the name
        // of an environment (\begin{pmatrix}) is not prose either.
        if (command &&
            (word == "text" || word == "mathrm" || word == "mbox" || word == "textbf" || word == "textnormal" ||
             word == "begin" || word == "end") &&
            j < s.size() && s[j] == '{') {
            size_t close = detail::closing_brace(s, j);
            if (close != std::string::npos) {
                i = close + 1;
                continue;
            }
        }
        bool known = false;
        for (const char* w : {"sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "max", "min", "gcd", "lcm",
                              "and", "pct", "sqrt", "frac", "pi", "infty"}) {
            if (word == w) known = true;
        }
        if (word.size() >= 3 && !command && !known) return false;
        i = j;
    }
    return true;
}

namespace {

// A number as written in prose: "1,22" and "1000,99" use a decimal comma (not a group of three digits).
std::string prose_number(std::string n) {
    size_t comma = n.find(',');
    if (comma != std::string::npos && n.find(',', comma + 1) == std::string::npos && n.find('.') == std::string::npos) {
        size_t digits_after = n.size() - comma - 1;
        if (n[comma + 1 + (digits_after > 0 ? digits_after - 1 : 0)] == '%') --digits_after;
        bool leading_zero = comma == 1 && n[0] == '0';
        if (digits_after != 3 || leading_zero || comma > 3) n[comma] = '.';
    }
    return n;
}

// The first number of a sentence, as written in prose (or "" when there is none).
std::string first_number(const std::string& s) {
    for (size_t i = 0; i < s.size(); ++i) {
        if (!detail::is_digit(s[i]) || (i > 0 && detail::is_alpha(s[i - 1]))) continue;
        size_t b = i > 0 && s[i - 1] == '-' ? i - 1 : i, e = i;
        while (e < s.size() && (detail::is_digit(s[e]) || ((s[e] == '.' || s[e] == ',') && e + 1 < s.size() && detail::is_digit(s[e + 1])))) ++e;
        if (e < s.size() && s[e] == '%') ++e;
        return prose_number(s.substr(b, e - b));
    }
    return "";
}

// The answer after a phrase: its first math environment or boxed answer, else the text to the end of
// the sentence (a period followed by a space or the end, or a newline). `answer_end` is where it ends in s.
std::string after_phrase(const std::string& s, size_t from, size_t& answer_end) {
    std::string rest = s.substr(from);
    size_t i = 0;
    while (i < rest.size() && (std::isspace(static_cast<unsigned char>(rest[i])) || rest[i] == ':')) ++i;
    rest = rest.substr(i);
    auto envs = math_envs(rest);
    if (!envs.empty() && envs.front().begin < 3) {
        size_t last = 0;  // the run of environments joined by and/or/commas: "$12$ and $13$"
        while (last + 1 < envs.size() && joins(rest.substr(envs[last].end, envs[last + 1].begin - envs[last].end))) ++last;
        answer_end = from + i + envs[last].end;
        return last_run(std::vector<Env>(envs.begin(), envs.begin() + last + 1), rest);
    }
    auto b = boxes(rest);
    if (!b.empty() && b.front().begin < 3) {
        answer_end = from + i + b.front().end;
        return b.front().content;
    }
    size_t end = rest.size();
    for (size_t j = 0; j < rest.size(); ++j) {
        if (rest[j] == '\n' || (rest[j] == '.' && (j + 1 == rest.size() || std::isspace(static_cast<unsigned char>(rest[j + 1]))) &&
                                !(j > 0 && std::isdigit(static_cast<unsigned char>(rest[j - 1])) && j + 1 < rest.size() &&
                                  std::isdigit(static_cast<unsigned char>(rest[j + 1]))))) {
            end = j;
            break;
        }
    }
    answer_end = from + i + end;
    std::string out = trim(rest.substr(0, end));
    size_t hope = lower(out).rfind("i hope");
    if (hope != std::string::npos) out = trim(out.substr(0, hope));
    // "The largest $n$ is 34": what follows the last " is ".
    if (!looks_like_math(out)) {
        size_t is = lower(out).rfind(" is ");
        if (is != std::string::npos) out = trim(out.substr(is + 4));
    }
    // "Jane started growing Sphere 3 hours ago": the first number of the sentence.
    if (!looks_like_math(out)) out = first_number(out);
    return out;
}

struct Phrase {
    Candidate candidate;
    size_t at = 0, end = 0;  // where the phrase starts and where its answer ends
};

// The answers after the last of each phrase ("final answer is", "answer:").
std::vector<Phrase> phrase_answers(const std::string& s, std::initializer_list<const char*> phrases, const char* how) {
    const std::string l = lower(s);
    std::vector<Phrase> out;
    for (const char* p : phrases) {
        size_t at = l.rfind(p), end = 0;
        if (at == std::string::npos) continue;
        std::string a = after_phrase(s, at + std::string(p).size(), end);
        if (!a.empty() && looks_like_math(a)) out.push_back({{a, how}, at, end});
    }
    return out;
}

struct Found {
    std::string text;
    size_t end = 0;
};

// The last number (or a/b of numbers), with thousands groups, a decimal part and a percent sign.
Found last_number(const std::string& s) {
    for (size_t end = s.size(); end > 0; --end) {
        if (!detail::is_digit(s[end - 1])) continue;
        size_t b = end;
        while (b > 0 && (detail::is_digit(s[b - 1]) || s[b - 1] == '.' || s[b - 1] == '/' ||
                         (s[b - 1] == ',' && b >= 2 && detail::is_digit(s[b - 2])))) {
            --b;
        }
        if (b > 0 && s[b - 1] == '-') --b;
        if (b > 0 && detail::is_alpha(s[b - 1])) {  // inside a word (AZYUK2A)
            end = b + 1;
            continue;
        }
        size_t e = end;
        if (e < s.size() && s[e] == '%') ++e;
        std::string n = s.substr(b, e - b);
        while (!n.empty() && (n.front() == '.' || n.front() == ',' || n.front() == '/')) n.erase(0, 1);
        return {prose_number(n), e};
    }
    return {};
}

}  // namespace

std::vector<Candidate> answer_candidates(const std::string& text, const ExtractOptions& o) {
    std::vector<Candidate> out;
    // The boxed answer and "final answer is" compete: the one that ends later wins. An "answer is" after
    // the last box competes too (a completion that corrects itself after boxing). A phrase whose answer
    // ends before the last box begins was given up for it and is no candidate at all, not even when
    // the box does not parse.
    std::vector<std::pair<size_t, Candidate>> top;
    const std::vector<Box> b = o.boxed ? boxes(text) : std::vector<Box>{};
    if (!b.empty()) top.push_back({b.back().end, {last_run(b, text, joins_boxes), "boxed"}});
    auto superseded = [&](const Phrase& p) { return !b.empty() && p.end <= b.back().begin; };
    std::vector<Phrase> finals, answers;
    if (o.phrases) {
        finals = phrase_answers(text, {"final answer is", "final answer:"}, "final answer");
        answers = phrase_answers(text, {"answer is", "answer:"}, "answer phrase");
    }
    // The later of "final answer is" and "final answer:".
    if (finals.size() == 2 && finals[0].at > finals[1].at) finals.pop_back();
    if (finals.size() == 2) finals.erase(finals.begin());
    for (const auto& p : finals) {
        if (!superseded(p)) top.push_back({p.at + 1, p.candidate});
    }
    for (const auto& p : answers) {
        if (!b.empty() && p.at > b.back().end) top.push_back({p.at + 1, p.candidate});
    }
    std::stable_sort(top.begin(), top.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    for (auto& [end, c] : top) out.push_back(c);
    if (o.answer_tags) {
        size_t open = text.rfind("<answer>");
        size_t close = open == std::string::npos ? open : text.find("</answer>", open);
        if (close != std::string::npos) out.push_back({trim(text.substr(open + 8, close - open - 8)), "answer tag"});
    }
    for (const auto& p : answers) {
        if (!superseded(p) && !(!b.empty() && p.at > b.back().end)) out.push_back(p.candidate);
    }
    if (o.gsm8k) {
        size_t at = text.rfind("####");
        if (at != std::string::npos) {
            size_t eol = text.find('\n', at);
            out.push_back({trim(text.substr(at + 4, eol == std::string::npos ? std::string::npos : eol - at - 4)), "####"});
        }
    }
    // The last math environment and the last number compete: the one that ends later first.
    std::vector<std::pair<size_t, Candidate>> low;
    if (o.latex_envs) {
        auto envs = math_envs(text);
        if (!envs.empty()) {
            low.push_back({envs.back().end, {last_run(envs, text), "latex"}});
            if (envs.size() > 1) low.push_back({envs.back().end, {envs.back().content, "latex"}});
        }
    }
    // A line of maths, or a one-word answer ("odd", "Evelyn"); two words of prose ("no idea") are not one.
    const std::string word = trim(text);
    const bool one_word = !word.empty() && word.size() <= 32 && word.find_first_of(" \t.!?:;") == std::string::npos;
    if (o.whole_text && text.find('\n') == std::string::npos && (one_word || looks_like_math(text))) {
        std::string t = trim(text);
        const bool bare_number = !t.empty() && t.find_first_not_of("0123456789,.-%") == std::string::npos;
        low.push_back({text.size() + 1, {bare_number ? prose_number(t) : t, "text"}});
    }
    if (o.last_number) {
        // Only a number after the last boxed answer and math environment: one inside a box or an
        // environment that does not parse is not the answer (\boxed{m_{\max}=n^{2}-n-1} is not "2").
        Found n = last_number(text);
        size_t structured_end = 0;
        for (const auto& [end, c] : low) {
            // A whole line of maths that does not parse has no other answer inside it either.
            if (c.how == "latex" || c.how == "text") structured_end = std::max(structured_end, end);
        }
        if (!b.empty()) structured_end = std::max(structured_end, b.back().end);
        if (!n.text.empty() && n.end > structured_end) low.push_back({n.end, {n.text, "last number"}});
    }
    std::stable_sort(low.begin(), low.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    for (auto& [end, c] : low) out.push_back(c);
    return out;
}

}  // namespace aha::verifiers::math
