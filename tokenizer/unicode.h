// UTF-8 and Unicode helpers for the tokenizer: decoding with the standard replacement of invalid bytes,
// normalization forms (utf8proc), and the byte <-> printable-character table of byte-level BPE.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace aha::tokenizer {

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view s);

// `s` with every ill-formed subsequence replaced by U+FFFD, one per maximal subpart (the Unicode
// recommended practice, which Python's bytes.decode(errors="replace") follows).
std::string replace_invalid_utf8(std::string_view s);

// Length in bytes of the well-formed UTF-8 prefix of `s` that ends on a character boundary; for streaming
// decoders that must not cut a character in half.
size_t complete_utf8_prefix(std::string_view s);

// Decodes one code point at s[i] (s must be valid UTF-8) and advances i.
char32_t next_code_point(std::string_view s, size_t& i);
void append_utf8(std::string& out, char32_t cp);

// Unicode normalization forms; `s` must be valid UTF-8.
std::string normalize_nfc(std::string_view s);
std::string normalize_nfd(std::string_view s);
std::string normalize_nfkc(std::string_view s);
std::string normalize_nfkd(std::string_view s);

// Unicode White_Space, as Rust's char::is_whitespace.
bool is_whitespace(char32_t cp);
// A word character as the Unicode \w of Rust's regex crate (Alphabetic, marks, decimal digits, connector
// punctuation, joiners), for single_word boundaries of added tokens.
bool is_word_char(char32_t cp);

// GPT-2's byte-level alphabet: each byte maps to a printable code point (printable Latin-1 bytes to
// themselves, the rest to U+0100 onwards), so that any byte string is a string of visible characters.
struct ByteLevelTable {
    std::array<std::string, 256> byte_to_utf8;  // byte -> its character, UTF-8 encoded
    std::array<int, 512> char_to_byte;          // code point (< 512) -> byte, or -1
    static const ByteLevelTable& get();
};

// Maps each byte of `s` to its byte-level character.
std::string bytes_to_byte_level(std::string_view s);

}  // namespace aha::tokenizer
