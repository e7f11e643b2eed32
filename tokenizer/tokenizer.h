// A Hugging Face tokenizer.json, read directly and applied exactly as the `tokenizers` library does: added
// tokens, normalizer, pre-tokenizer, byte-level BPE model, post-processor and decoder. Supported components
// are those of the byte-level BPE families aha trains (Qwen2.5, Qwen3, DeepSeek-V3, Llama-3); any other is an
// error naming it. Encoding is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

namespace aha::tokenizer {

struct AddedToken {
    int id = -1;
    std::string content;
    bool single_word = false;  // match only as a whole word
    bool lstrip = false;       // absorb whitespace on the left
    bool rstrip = false;       // absorb whitespace on the right
    bool normalized = false;   // matched in the normalized text (else in the raw text)
    bool special = false;      // skipped by decode(skip_special_tokens=true)
};

class Tokenizer {
 public:
    // `path` is a tokenizer.json file or a directory holding one. Errors name the file and the component.
    static Tokenizer from_file(const std::string& path);
    static Tokenizer from_json(const Json& j, const std::string& source);
    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;
    ~Tokenizer();

    // Token ids of `text`. Invalid UTF-8 is first replaced by U+FFFD (one per maximal ill-formed
    // subsequence, as Python's bytes.decode(errors="replace")). Special-token strings inside the text are
    // recognised whether or not add_special_tokens is set; add_special_tokens applies the post-processor's
    // template (e.g. Llama-3's <|begin_of_text|>).
    std::vector<int> encode(std::string_view text, bool add_special_tokens = false) const;
    // encode() of each text, on up to `threads` threads (0 = hardware concurrency).
    std::vector<std::vector<int>> encode_batch(const std::vector<std::string>& texts,
                                               bool add_special_tokens = false,
                                               int threads = 0) const;
    // The text of `ids`. Throws FormatError for an id outside the vocabulary. Bytes that do not form valid
    // UTF-8 come out as U+FFFD (as `tokenizers` does).
    std::string decode(const std::vector<int>& ids, bool skip_special_tokens = false) const;

    int vocab_size() const;  // largest id + 1
    int token_to_id(const std::string& token) const;  // -1 when absent
    std::string id_to_token(int id) const;            // throws for an unknown id
    bool is_special(int id) const;
    bool has_id(int id) const;  // a token (of the model or an added one) has this id
    const std::vector<AddedToken>& added_tokens() const;
    const std::string& source() const;

    // Raw bytes of one token as the decoder produces them (no UTF-8 repair): for streaming decoders.
    std::string token_bytes(int id) const;

 private:
    Tokenizer();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Incremental decoding for streaming and stop strings: push ids one by one; each call returns the newly
// completed text and never a partial UTF-8 character (bytes of an unfinished character wait for the next
// token). finish() returns what is left, with any dangling bytes as U+FFFD. An id the tokenizer has no token for
// (an embedding row past the vocabulary) gives nothing, as `tokenizers` decodes it.
class StreamDecoder {
 public:
    explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false);
    std::string push(int id);
    std::string finish();

 private:
    const Tokenizer& tokenizer_;
    bool skip_special_;
    std::string pending_;  // bytes not yet emitted
};

}  // namespace aha::tokenizer
