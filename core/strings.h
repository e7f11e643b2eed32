// Small string helpers shared by config parsing and error messages.
#pragma once

#include <string>
#include <vector>

namespace aha {

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word` if it is close enough to be a likely typo, else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c"
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

// Whether `s` ends with `suffix`.
bool ends_with(const std::string& s, const std::string& suffix);

// Splits on a single character; keeps empty fields.
std::vector<std::string> split(const std::string& s, char sep);

// ASCII lower case.
std::string lower(std::string s);

}  // namespace aha
