// The tokenizer of the answer parser (parser.cpp): numbers, single letters, commands (\\frac, \\{), the
// contents of \\text{...} groups and single symbols; the Unicode signs answers use map to commands.
#pragma once

#include <gmpxx.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace aha::verifiers::math::detail {

enum class T { kNumber, kLetter, kCommand, kText, kSymbol, kEnd };

struct Token {
    T kind = T::kEnd;
    std::string text;
};

// Why a text is not an answer the parser understands (caught by parse_latex).
struct Fail : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The tokens of a normalised answer, ending with kEnd. Throws Fail on unbalanced \\text braces and unknown
// non-ASCII characters.
std::vector<Token> tokenize(const std::string& s);

// A decimal literal ("12", "0.25") as an exact rational; `decimal` says whether it had a point. Throws Fail
// on anything else.
mpq_class parse_decimal(const std::string& text, bool& decimal);

}  // namespace aha::verifiers::math::detail
