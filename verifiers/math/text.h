// Small string helpers shared by the math verifier's extraction, normalisation and parser.
#pragma once

#include <cctype>
#include <string>

#include "core/strings.h"

namespace aha::verifiers::math::detail {

inline std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

// Index of the '}' closing the '{' at `open` (backslash escapes skipped), or npos when unbalanced.
inline size_t closing_brace(const std::string& s, size_t open) {
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

using ::aha::lower;

inline bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
inline bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

}  // namespace aha::verifiers::math::detail
