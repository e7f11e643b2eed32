// Character-level tokenizer with whole special tokens; see char_tokenizer.h.
#include "policy/char_tokenizer.h"

#include "core/error.h"

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

}  // namespace aha::policy
