// Character-level tokenizer with whole special tokens; see char_tokenizer.h.
#include "policy/char_tokenizer.h"

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace aha::policy {

CharTokenizer::CharTokenizer(std::vector<std::string> specials, std::string chars)
    : specials_(std::move(specials)), chars_(std::move(chars)) {
    for (int& id : char_to_id_) id = -1;
    for (size_t i = 0; i < specials_.size(); ++i) {
        const std::string& s = specials_[i];
        if (s.size() < 2 || s[0] != '<') throw FormatError("tokenizer: special token '" + s + "' must start with '<'");
        if (s == "<pad>") pad_id_ = static_cast<int>(i);
        if (s == "<bos>") bos_id_ = static_cast<int>(i);
        if (s == "<eos>") eos_id_ = static_cast<int>(i);
    }
    if (pad_id_ < 0 || bos_id_ < 0 || eos_id_ < 0) {
        throw FormatError("tokenizer: specials must include <pad>, <bos> and <eos>");
    }
    for (size_t i = 0; i < chars_.size(); ++i) {
        auto c = static_cast<unsigned char>(chars_[i]);
        if (c == '<' || c >= 128) throw FormatError("tokenizer: character '" + chars_.substr(i, 1) + "' not allowed");
        if (char_to_id_[c] >= 0) throw FormatError("tokenizer: character '" + chars_.substr(i, 1) + "' listed twice");
        char_to_id_[c] = static_cast<int>(specials_.size() + i);
    }
}

CharTokenizer CharTokenizer::for_alphabet(const std::string& chars) {
    return CharTokenizer({"<pad>", "<bos>", "<eos>", "<think>", "</think>", "<answer>", "</answer>"}, chars);
}

std::vector<int> CharTokenizer::encode(const std::string& text) const {
    std::vector<int> ids;
    ids.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        if (text[i] == '<') {
            bool matched = false;
            for (size_t s = 0; s < specials_.size(); ++s) {
                if (text.compare(i, specials_[s].size(), specials_[s]) == 0) {
                    ids.push_back(static_cast<int>(s));
                    i += specials_[s].size();
                    matched = true;
                    break;
                }
            }
            if (!matched) {
                throw FormatError("tokenizer: unknown special token at byte " + std::to_string(i) + " of \"" + text + "\"");
            }
            continue;
        }
        int id = char_to_id_[static_cast<unsigned char>(text[i])];
        if (id < 0) {
            throw FormatError("tokenizer: character '" + text.substr(i, 1) + "' (byte " + std::to_string(i) +
                              ") is not in the vocabulary");
        }
        ids.push_back(id);
        ++i;
    }
    return ids;
}

std::string CharTokenizer::decode(const std::vector<int>& ids) const {
    std::string out;
    for (int id : ids) {
        if (id < 0 || id >= vocab_size()) throw FormatError("tokenizer: id " + std::to_string(id) + " out of range");
        if (id == pad_id_) continue;
        if (id < static_cast<int>(specials_.size())) {
            out += specials_[id];
        } else {
            out += chars_[id - specials_.size()];
        }
    }
    return out;
}

int CharTokenizer::special_id(const std::string& token) const {
    for (size_t s = 0; s < specials_.size(); ++s) {
        if (specials_[s] == token) return static_cast<int>(s);
    }
    throw FormatError("tokenizer: no special token " + token);
}

Json CharTokenizer::to_json() const { return {{"type", "char"}, {"specials", specials_}, {"chars", chars_}}; }

CharTokenizer CharTokenizer::from_json(const Json& j, const std::string& source) {
    if (!j.is_object() || j.value("type", "") != "char" || !j.contains("specials") || !j.contains("chars") ||
        !j["specials"].is_array() || !j["chars"].is_string()) {
        throw FormatError(source + ": expected a char tokenizer {\"type\": \"char\", \"specials\": [...], \"chars\": \"...\"}");
    }
    return CharTokenizer(j["specials"].get<std::vector<std::string>>(), j["chars"].get<std::string>());
}

Json CharTokenizer::to_hf_tokenizer_json() const {
    Json added = Json::array();
    for (size_t i = 0; i < specials_.size(); ++i) {
        const std::string& s = specials_[i];
        // <bos> is not skipped when decoding, as the char tokenizer never skipped it: a completion that
        // writes it keeps it in its text.
        const bool special = s == "<pad>" || s == "<eos>";
        added.push_back({{"id", i}, {"content", s}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                         {"normalized", false}, {"special", special}});
    }
    // The tags are in the model's vocabulary too, so that they keep their ids (tokenizers appends added
    // tokens that are not in it after the vocabulary).
    Json vocab = Json::object();
    for (size_t i = 0; i < specials_.size(); ++i) vocab[specials_[i]] = i;
    for (size_t i = 0; i < chars_.size(); ++i) {
        vocab[tokenizer::bytes_to_byte_level(chars_.substr(i, 1))] = specials_.size() + i;
    }
    const Json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
    return {{"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens", added},
            {"normalizer", nullptr},
            {"pre_tokenizer", byte_level},
            {"post_processor", nullptr},
            {"decoder", byte_level},
            {"model",
             {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
              {"vocab", vocab}, {"merges", Json::array()}}}};
}

Json CharTokenizer::hf_tokenizer_config() const {
    return {{"tokenizer_class", "PreTrainedTokenizerFast"}, {"bos_token", "<bos>"}, {"eos_token", "<eos>"},
            {"pad_token", "<pad>"}, {"clean_up_tokenization_spaces", false}, {"add_bos_token", false}};
}

Json CharTokenizer::hf_generation_config() const {
    return {{"bos_token_id", bos_id_}, {"eos_token_id", eos_id_}, {"pad_token_id", pad_id_}};
}

tokenizer::ModelText CharTokenizer::model_text() const {
    return tokenizer::ModelText::from_tokenizer(tokenizer::Tokenizer::from_json(to_hf_tokenizer_json(), "char tokenizer"),
                                                {eos_id_}, pad_id_);
}

}  // namespace aha::policy
