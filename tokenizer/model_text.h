// A checkpoint's text side as transformers and vLLM read it: the tokenizer.json, the ids generation ends
// on, the padding id and the special token strings. The trainer, evaluation and `aha generate` take this,
// whatever the model family (the tiny demo's char-level vocabulary is a tokenizer.json too).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "tokenizer/tokenizer.h"

namespace aha::tokenizer {

struct ModelText {
    std::shared_ptr<const Tokenizer> tokenizer;
    // Generation ends on any of these: generation_config.json's eos_token_id (an id or a list; else
    // config.json's), then tokenizer_config.json's eos_token when it is not among them (vLLM's rule).
    std::vector<int> eos_ids;
    int pad_id = 0;  // tokenizer_config's pad_token, else config's pad_token_id, else the first end id
    std::string bos_token, eos_token;  // tokenizer_config.json's strings ("" when absent)
    // tokenizer_config.json as read (an empty object when absent); its chat_template is chat_template.jinja's
    // when that file exists (transformers' own precedence).
    Json tokenizer_config;
    std::string source;                // the directory or file it was read from, for messages

    // Ids of `text` with no special tokens added (templates write BOS themselves, as TRL and verl
    // tokenize chat-templated prompts).
    std::vector<int> encode(const std::string& text) const;
    // Text of `ids` with special tokens (end, padding, BOS) skipped, as TRL decodes completions. Ids the model
    // can sample but the tokenizer has no token for (the padding rows of an embedding larger than the
    // vocabulary: Qwen2.5 has 151,936 rows for 151,665 tokens) decode to nothing, as `tokenizers` does.
    std::string decode(const std::vector<int>& ids) const;
    bool is_eos(int id) const;
    int vocab_size() const;

    // Reads `dir`: tokenizer.json (or `tokenizer_path`, a file or a directory holding one, when given),
    // and where present tokenizer_config.json, generation_config.json and config.json. Errors name the file.
    static ModelText load(const std::string& dir, const std::string& tokenizer_path = "");
    // A tokenizer with explicit end and padding ids (tests, tokenizers built in memory).
    static ModelText from_tokenizer(Tokenizer tokenizer, std::vector<int> eos_ids, int pad_id);
};

}  // namespace aha::tokenizer
