// UTF-8 and Unicode helpers; see unicode.h.
#include "tokenizer/unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "core/error.h"

namespace aha::tokenizer {

namespace {

// Length of the well-formed sequence starting at s[i], or 0 if ill-formed; `maximal` receives the length of
// the maximal subpart of an ill-formed sequence (>= 1), per Unicode 15 section 3.9 (Table 3-7).
size_t sequence_length(std::string_view s, size_t i, size_t& maximal) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    maximal = 1;
    if (c < 0x80) return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    for (size_t k = 1; k < need; ++k) {
        if (i + k >= s.size()) return 0;
        const unsigned char x = b(i + k);
        const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (x < l || x > h) return 0;
        maximal = k + 1;
    }
    return need;
}

std::string normalize(std::string_view s, utf8proc_option_t options) {
    utf8proc_uint8_t* out = nullptr;
    utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                      static_cast<utf8proc_ssize_t>(s.size()), &out,
                                      static_cast<utf8proc_option_t>(options | UTF8PROC_STABLE));
    if (n < 0) throw FormatError(std::string("unicode normalization failed: ") + utf8proc_errmsg(n));
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> hold(out, &std::free);
    return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    size_t maximal;
    for (size_t i = 0; i < s.size();) {
        size_t n = sequence_length(s, i, maximal);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string replace_invalid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    size_t maximal;
    for (size_t i = 0; i < s.size();) {
        size_t n = sequence_length(s, i, maximal);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            i += maximal;
        } else {
            out.append(s.data() + i, n);
            i += n;
        }
    }
    return out;
}

size_t complete_utf8_prefix(std::string_view s) {
    size_t maximal, i = 0;
    while (i < s.size()) {
        size_t n = sequence_length(s, i, maximal);
        if (n == 0) {
            // An incomplete sequence at the very end may still be completed by later bytes.
            if (i + maximal >= s.size()) return i;
            i += maximal;  // truly ill-formed: let the caller emit it (as U+FFFD)
        } else {
            i += n;
        }
    }
    return i;
}

char32_t next_code_point(std::string_view s, size_t& i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) {
        i += 1;
        return c;
    }
    if (c < 0xE0) {
        char32_t cp = ((c & 0x1F) << 6) | (b(i + 1) & 0x3F);
        i += 2;
        return cp;
    }
    if (c < 0xF0) {
        char32_t cp = ((c & 0x0F) << 12) | ((b(i + 1) & 0x3F) << 6) | (b(i + 2) & 0x3F);
        i += 3;
        return cp;
    }
    char32_t cp = ((c & 0x07) << 18) | ((b(i + 1) & 0x3F) << 12) | ((b(i + 2) & 0x3F) << 6) | (b(i + 3) & 0x3F);
    i += 4;
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string normalize_nfc(std::string_view s) { return normalize(s, UTF8PROC_COMPOSE); }
std::string normalize_nfd(std::string_view s) { return normalize(s, UTF8PROC_DECOMPOSE); }
std::string normalize_nfkc(std::string_view s) {
    return normalize(s, static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_COMPAT));
}
std::string normalize_nfkd(std::string_view s) {
    return normalize(s, static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT));
}

bool is_whitespace(char32_t c) {
    // The Unicode White_Space property (what Rust's char::is_whitespace tests).
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_word_char(char32_t c) {
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (c == 0x200C || c == 0x200D) return true;  // Join_Control
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_PC:
            return true;
        default:
            return false;
    }
}

const ByteLevelTable& ByteLevelTable::get() {
    static const ByteLevelTable table = [] {
        ByteLevelTable t;
        t.char_to_byte.fill(-1);
        int next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            const int cp = printable ? b : next++;
            t.byte_to_utf8[b].clear();
            append_utf8(t.byte_to_utf8[b], static_cast<char32_t>(cp));
            t.char_to_byte[cp] = b;
        }
        return t;
    }();
    return table;
}

std::string bytes_to_byte_level(std::string_view s) {
    const auto& table = ByteLevelTable::get();
    std::string out;
    out.reserve(s.size() * 2);
    for (unsigned char b : s) out += table.byte_to_utf8[b];
    return out;
}

}  // namespace aha::tokenizer
