// A compiled Unicode regular expression (PCRE2 with UTF and Unicode properties, JIT-compiled), used by the
// Split and ByteLevel pre-tokenizers. Thread-safe: matching state is per call.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aha::tokenizer {

class Regex {
 public:
    // Throws FormatError naming `where` when the pattern does not compile.
    Regex(const std::string& pattern, const std::string& where);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // Every non-overlapping match in `text` (valid UTF-8), left to right, as [begin, end) byte offsets.
    // An empty match advances by one character, as Rust's and Oniguruma's find_iter do.
    std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;
    const std::string& pattern() const { return pattern_; }

 private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string pattern_;
};

}  // namespace aha::tokenizer
