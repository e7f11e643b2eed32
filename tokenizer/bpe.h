// Byte-pair encoding as Hugging Face's BPE model applies it: a word's symbols are merged pair by pair, always
// the pair of lowest merge rank first (leftmost on ties), until no known pair is left. Words are cached.
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/config.h"

namespace aha::tokenizer {

class Bpe {
 public:
    // `model` is tokenizer.json's "model" object (type BPE); `byte_level` says whether words arrive as raw
    // bytes to be read through the byte-level alphabet (true for GPT-2-style tokenizers).
    Bpe(const Json& model, bool byte_level, const std::string& source);

    // Appends the ids of one pre-tokenized word (raw bytes when byte_level, else UTF-8 text).
    void encode_word(std::string_view word, std::vector<int>& out) const;

    // The vocabulary token of `id` (byte-level characters for byte-level BPE), or nullptr.
    const std::string* token(int id) const;
    int max_id() const { return max_id_; }
    const std::unordered_map<std::string, int>& vocab() const { return vocab_; }

 private:
    void merge(std::vector<int>& symbols) const;

    std::unordered_map<std::string, int> vocab_;   // token text -> id
    std::vector<const std::string*> id_to_token_;  // id -> token text (nullptr for gaps)
    std::unordered_map<uint64_t, std::pair<int, int>> merges_;  // (left id, right id) -> (rank, merged id)
    std::unordered_map<std::string, int> raw_vocab_;            // byte-level: raw bytes -> id
    int byte_id_[256];                                          // byte-level: id of each single byte
    bool byte_level_ = false;
    bool ignore_merges_ = false;
    int unk_id_ = -1;
    bool fuse_unk_ = false;
    int max_id_ = -1;

    // Word cache (bounded; no eviction once full). Guarded for concurrent encode calls.
    static constexpr size_t kCacheCapacity = 100000;
    static constexpr size_t kMaxCachedWordBytes = 256;
    mutable std::unordered_map<std::string, std::vector<int>> cache_;
    mutable std::shared_mutex cache_mutex_;
};

}  // namespace aha::tokenizer
