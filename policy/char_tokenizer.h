// A character-level tokenizer with whole special tokens ("<think>", "<answer>", ...), for tiny models on
// procedural tasks. Id layout: special tokens first (in the given order), then one id per character.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "tokenizer/model_text.h"

namespace aha::policy {

class CharTokenizer {
 public:
    // `specials` must contain "<pad>", "<bos>" and "<eos>"; every special must start with '<'.
    CharTokenizer(std::vector<std::string> specials, std::string chars);

    // The tokenizer of the pointer-chasing demo: <pad> <bos> <eos> <think> </think> <answer> </answer>.
    static CharTokenizer for_alphabet(const std::string& chars);

    // Text -> ids. Special tokens are matched whole. FormatError naming the position for unknown characters.
    std::vector<int> encode(const std::string& text) const;
    // Ids -> text; pad ids are skipped. FormatError for out-of-range ids.
    std::string decode(const std::vector<int>& ids) const;

    int vocab_size() const { return static_cast<int>(specials_.size() + chars_.size()); }
    int pad_id() const { return pad_id_; }
    int bos_id() const { return bos_id_; }
    int eos_id() const { return eos_id_; }
    int special_id(const std::string& token) const;  // FormatError when absent

    Json to_json() const;
    static CharTokenizer from_json(const Json& j, const std::string& source);

    // The same vocabulary as a Hugging Face tokenizer.json (byte-level BPE with one token per character
    // and no merges; <pad> and <eos> special, so decoding skips them as decode() does, the other tags plain
    // added tokens), so that the
    // project's Tokenizer, `tokenizers` and transformers' AutoTokenizer encode exactly as encode() does.
    Json to_hf_tokenizer_json() const;
    // Its tokenizer_config.json (bos, eos and pad tokens) and generation_config.json (end and pad ids).
    Json hf_tokenizer_config() const;
    Json hf_generation_config() const;
    // The text side the trainer takes: to_hf_tokenizer_json() read by the project's Tokenizer, ending on
    // <eos> and padding with <pad>.
    tokenizer::ModelText model_text() const;

 private:
    std::vector<std::string> specials_;
    std::string chars_;
    int char_to_id_[256];
    int pad_id_ = -1, bos_id_ = -1, eos_id_ = -1;
};

}  // namespace aha::policy
