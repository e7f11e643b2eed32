// Answer extraction and the think/answer format check; see answer_tags.h.
#include "verifiers/answer_tags.h"

namespace aha::verifiers {

namespace {

constexpr const char* kOpen = "<answer>";
constexpr const char* kClose = "</answer>";

size_t count(const std::string& s, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + needle.size())) ++n;
    return n;
}

std::string trim(const std::string& s) {
    const char* ws = " \t\r\n";
    size_t b = s.find_first_not_of(ws);
    if (b == std::string::npos) return "";
    size_t e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

bool only_whitespace(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

ExtractedAnswer extract_tagged_answer(const std::string& completion) {
    ExtractedAnswer out;
    size_t opens = count(completion, kOpen), closes = count(completion, kClose);
    if (opens == 0 && closes == 0) return out;
    if (opens > 1 || closes > 1) {
        out.status = Extraction::kMultiple;
        return out;
    }
    size_t open = completion.find(kOpen), close = completion.find(kClose);
    if (opens == 0 || closes == 0 || close < open) {
        out.status = Extraction::kUnclosed;
        return out;
    }
    if (!only_whitespace(completion.substr(close + std::char_traits<char>::length(kClose)))) {
        out.status = Extraction::kTrailing;
        return out;
    }
    size_t begin = open + std::char_traits<char>::length(kOpen);
    out.status = Extraction::kOk;
    out.text = trim(completion.substr(begin, close - begin));
    return out;
}

bool has_think_answer_format(const std::string& completion) {
    size_t end_think = completion.find("</think>");
    if (end_think == std::string::npos || count(completion, "</think>") != 1) return false;
    if (completion.substr(0, end_think).find("<think>") != std::string::npos) return false;
    std::string rest = completion.substr(end_think + 8);
    ExtractedAnswer a = extract_tagged_answer(rest);
    if (a.status != Extraction::kOk) return false;
    size_t open = rest.find(kOpen), close = rest.find(kClose);
    return only_whitespace(rest.substr(0, open)) &&
           only_whitespace(rest.substr(close + std::char_traits<char>::length(kClose)));
}

const char* extraction_name(Extraction e) {
    switch (e) {
        case Extraction::kOk: return "ok";
        case Extraction::kMissing: return "missing";
        case Extraction::kMultiple: return "multiple";
        case Extraction::kUnclosed: return "unclosed";
        case Extraction::kTrailing: return "trailing";
    }
    return "?";
}

}  // namespace aha::verifiers
