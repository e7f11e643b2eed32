// Answer candidates of a completion, in priority order; see extract.h. Hand-written scanners, no regex.
#include "verifiers/math/extract.h"

#include <algorithm>
#include <cctype>

namespace aha::verifiers::math {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

// The balanced {...} group starting at `open`: [open, close]; npos when unbalanced.
size_t group_end(const std::string& s, size_t open) {
    int depth = 0;
    for (size_t i = open; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
            continue;
        }
        if (s[i] == '{') ++depth;
        if (s[i] == '}' && --depth == 0) return i;
    }
    return std::string::npos;
}

struct Box {
    size_t begin, end;  // the whole \boxed{...}
    std::string content;
};

std::vector<Box> boxes(const std::string& s) {
    std::vector<Box> out;
    for (size_t pos = 0; pos < s.size();) {
        size_t b = s.find("\\boxed", pos), f = s.find("\\fbox", pos);
        size_t at = std::min(b, f);
        if (at == std::string::npos) break;
        size_t i = at + (at == b ? 6 : 5);
        while (i < s.size() && s[i] == ' ') ++i;
        if (i < s.size() && s[i] == '{') {
            size_t close = group_end(s, i);
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

// Text between two answers that joins them into one set: short, and only and/or/commas/$/spaces.
bool joins(const std::string& between) {
    std::string t = lower(between);
    for (const char* w : {"and", "or", "\\text{", "}", "$", ",", ";", "\\quad", "\\(", "\\)", "\\[", "\\]"}) {
        for (size_t p = t.find(w); p != std::string::npos; p = t.find(w)) t.erase(p, std::string(w).size());
    }
    return trim(t).empty() && between.size() < 40;
}

// The last run of items (boxes or math environments) joined into a set by short and/or/comma text.
template <typename Item>
std::string last_run(const std::vector<Item>& items, const std::string& s) {
    size_t first = items.size() - 1;
    while (first > 0 && joins(s.substr(items[first - 1].end, items[first].begin - items[first - 1].end))) --first;
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
    for (size_t i = 0; i < s.size();) {
        auto take = [&](const std::string& open, const std::string& close, bool one_line) {
            if (s.compare(i, open.size(), open) != 0) return false;
            size_t j = i + open.size();
            for (; j + close.size() <= s.size(); ++j) {
                if (one_line && s[j] == '\n') return false;
                if (s[j] == '\\' && close[0] == '$' && j + 1 < s.size() && s[j + 1] == '$') {
                    ++j;  // \$ inside
                    continue;
                }
                if (s.compare(j, close.size(), close) == 0) break;
            }
            if (j + close.size() > s.size()) return false;
            std::string content = trim(s.substr(i + open.size(), j - i - open.size()));
            if (!content.empty()) out.push_back({i, j + close.size(), content});
            i = j + close.size();
            return true;
        };
        if (i > 0 && s[i - 1] == '\\' && s[i] == '$') {
            ++i;
            continue;
        }
        if (take("$$", "$$", false) || take("\\[", "\\]", false) || take("\\(", "\\)", true) ||
            (s[i] == '$' && take("$", "$", true))) {
            continue;
        }
        ++i;
    }
    return out;
}

// The answer after a phrase: its first math environment or boxed answer, else the text to the end of
// the sentence (a period followed by a space or the end, or a newline).
std::string after_phrase(const std::string& s, size_t from) {
    std::string rest = s.substr(from);
    size_t i = 0;
    while (i < rest.size() && (std::isspace(static_cast<unsigned char>(rest[i])) || rest[i] == ':')) ++i;
    rest = rest.substr(i);
    auto envs = math_envs(rest);
    if (!envs.empty() && envs.front().begin < 3) return last_run(std::vector<Env>(envs.begin(), envs.begin() + 1), rest);
    auto b = boxes(rest);
    if (!b.empty() && b.front().begin < 3) return b.front().content;
    size_t end = rest.size();
    for (size_t j = 0; j < rest.size(); ++j) {
        if (rest[j] == '\n' || (rest[j] == '.' && (j + 1 == rest.size() || std::isspace(static_cast<unsigned char>(rest[j + 1]))) &&
                                !(j > 0 && std::isdigit(static_cast<unsigned char>(rest[j - 1])) && j + 1 < rest.size() &&
                                  std::isdigit(static_cast<unsigned char>(rest[j + 1]))))) {
            end = j;
            break;
        }
    }
    std::string out = trim(rest.substr(0, end));
    if (out.size() >= 4 && lower(out.substr(out.size() - 6 < out.size() ? out.size() - 6 : 0)).find("i hope") != std::string::npos) {
        out = trim(out.substr(0, lower(out).rfind("i hope")));
    }
    return out;
}

void phrase_candidates(const std::string& s, std::vector<Candidate>& out) {
    const std::string l = lower(s);
    for (const char* p : {"final answer is", "final answer:"}) {
        size_t at = l.rfind(p);
        if (at != std::string::npos) {
            std::string a = after_phrase(s, at + std::string(p).size());
            if (!a.empty()) out.push_back({a, "final answer"});
        }
    }
}

void answer_phrase_candidates(const std::string& s, std::vector<Candidate>& out) {
    const std::string l = lower(s);
    for (const char* p : {"answer is", "answer:"}) {
        size_t at = l.rfind(p);
        if (at != std::string::npos) {
            std::string a = after_phrase(s, at + std::string(p).size());
            if (!a.empty()) out.push_back({a, "answer phrase"});
        }
    }
}

// The last number: -?digits with , or space thousands groups, a decimal part and a percent sign.
std::string last_number(const std::string& s) {
    for (size_t end = s.size(); end > 0; --end) {
        if (!std::isdigit(static_cast<unsigned char>(s[end - 1]))) continue;
        size_t b = end;
        while (b > 0 && (std::isdigit(static_cast<unsigned char>(s[b - 1])) || s[b - 1] == '.' ||
                         (s[b - 1] == ',' && b >= 2 && std::isdigit(static_cast<unsigned char>(s[b - 2]))))) {
            --b;
        }
        if (b > 0 && s[b - 1] == '-') --b;
        size_t e = end;
        if (e < s.size() && s[e] == '%') ++e;
        std::string n = s.substr(b, e - b);
        while (!n.empty() && (n.front() == '.' || n.front() == ',')) n.erase(0, 1);
        return n;
    }
    return "";
}

}  // namespace

std::vector<Candidate> answer_candidates(const std::string& text, const ExtractOptions& o) {
    std::vector<Candidate> out;
    if (o.boxed) {
        auto b = boxes(text);
        if (!b.empty()) out.push_back({last_run(b, text), "boxed"});
    }
    if (o.phrases) phrase_candidates(text, out);
    if (o.answer_tags) {
        size_t open = text.rfind("<answer>");
        size_t close = open == std::string::npos ? open : text.find("</answer>", open);
        if (close != std::string::npos) out.push_back({trim(text.substr(open + 8, close - open - 8)), "answer tag"});
    }
    if (o.phrases) answer_phrase_candidates(text, out);
    if (o.gsm8k) {
        size_t at = text.rfind("####");
        if (at != std::string::npos) {
            size_t eol = text.find('\n', at);
            out.push_back({trim(text.substr(at + 4, eol == std::string::npos ? std::string::npos : eol - at - 4)), "####"});
        }
    }
    if (o.latex_envs) {
        auto envs = math_envs(text);
        if (!envs.empty()) {
            out.push_back({last_run(envs, text), "latex"});
            if (envs.size() > 1) out.push_back({envs.back().content, "latex"});
        }
    }
    if (o.whole_text && text.find('\n') == std::string::npos && text.size() <= 300) out.push_back({trim(text), "text"});
    if (o.last_number) {
        std::string n = last_number(text);
        if (!n.empty()) out.push_back({n, "last number"});
    }
    return out;
}

}  // namespace aha::verifiers::math
