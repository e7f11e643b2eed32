// Byte-pair encoding; see bpe.h.
#include "tokenizer/bpe.h"

#include <mutex>
#include <queue>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace aha::tokenizer {

namespace {

uint64_t pair_key(int a, int b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }

// The token as raw bytes, when every character is in the byte-level alphabet.
bool byte_level_to_raw(const std::string& token, std::string& raw) {
    const auto& table = ByteLevelTable::get();
    raw.clear();
    for (size_t i = 0; i < token.size();) {
        char32_t cp = next_code_point(token, i);
        if (cp >= 512 || table.char_to_byte[cp] < 0) return false;
        raw += static_cast<char>(table.char_to_byte[cp]);
    }
    return true;
}

}  // namespace

Bpe::Bpe(const Json& model, bool byte_level, const std::string& source) : byte_level_(byte_level) {
    const std::string where = source + ": model";
    if (!model.contains("vocab") || !model["vocab"].is_object()) throw FormatError(where + ".vocab: expected an object");
    if (!model.contains("merges") || !model["merges"].is_array()) throw FormatError(where + ".merges: expected a list");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        if (model.contains(key) && !model[key].is_null() && model[key] != "") {
            throw FormatError(where + "." + key + ": only empty or null is supported");
        }
    }
    if (model.value("byte_fallback", false)) throw FormatError(where + ".byte_fallback: true is not supported");
    if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"].get<double>() != 0.0) {
        throw FormatError(where + ".dropout: BPE dropout is not supported for encoding");
    }
    ignore_merges_ = model.value("ignore_merges", false);
    fuse_unk_ = model.value("fuse_unk", false);
    vocab_.reserve(model["vocab"].size());
    merges_.reserve(model["merges"].size());
    for (const auto& item : model["vocab"].items()) {
        if (!item.value().is_number_integer() || item.value().get<int64_t>() < 0) {
            throw FormatError(where + ".vocab[\"" + item.key() + "\"]: expected a non-negative integer id");
        }
        const int id = item.value().get<int>();
        vocab_.emplace(item.key(), id);
        max_id_ = std::max(max_id_, id);
    }
    id_to_token_.assign(static_cast<size_t>(max_id_ + 1), nullptr);
    for (const auto& [text, id] : vocab_) id_to_token_[id] = &text;
    if (model.contains("unk_token") && model["unk_token"].is_string()) {
        auto it = vocab_.find(model["unk_token"].get<std::string>());
        if (it == vocab_.end()) throw FormatError(where + ".unk_token: not in the vocabulary");
        unk_id_ = it->second;
    }
    int rank = 0;
    for (const auto& m : model["merges"]) {
        std::string left, right;
        if (m.is_string()) {  // legacy "a b": exactly two parts
            const std::string s = m.get<std::string>();
            if (s.rfind("#version", 0) == 0) continue;
            const size_t space = s.find(' ');
            if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
                throw FormatError(where + ".merges[" + std::to_string(rank) + "]: '" + s + "' is not 'a b'");
            }
            left = s.substr(0, space);
            right = s.substr(space + 1);
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["a", "b"]
            left = m[0].get<std::string>();
            right = m[1].get<std::string>();
        } else {
            throw FormatError(where + ".merges[" + std::to_string(rank) + "]: expected \"a b\" or [\"a\", \"b\"]");
        }
        auto l = vocab_.find(left), r = vocab_.find(right), merged = vocab_.find(left + right);
        if (l == vocab_.end() || r == vocab_.end()) {
            throw FormatError(where + ".merges[" + std::to_string(rank) + "]: '" + left + " " + right +
                              "' uses a token that is not in the vocabulary");
        }
        if (merged == vocab_.end()) {
            throw FormatError(where + ".merges[" + std::to_string(rank) + "]: the merge of '" + left + " " + right +
                              "' is not in the vocabulary");
        }
        merges_[pair_key(l->second, r->second)] = {rank, merged->second};  // a repeated merge: the later rank wins
        ++rank;
    }
    std::fill(std::begin(byte_id_), std::end(byte_id_), -1);
    if (byte_level_) {
        const auto& table = ByteLevelTable::get();
        for (int b = 0; b < 256; ++b) {
            auto it = vocab_.find(table.byte_to_utf8[b]);
            if (it != vocab_.end()) byte_id_[b] = it->second;
        }
        std::string raw;
        raw_vocab_.reserve(vocab_.size());
        for (const auto& [text, id] : vocab_) {
            if (byte_level_to_raw(text, raw)) raw_vocab_.emplace(raw, id);
        }
    }
}

const std::string* Bpe::token(int id) const {
    return id >= 0 && id <= max_id_ ? id_to_token_[static_cast<size_t>(id)] : nullptr;
}

void Bpe::merge(std::vector<int>& symbols) const {
    const int n = static_cast<int>(symbols.size());
    if (n < 2) return;
    // Doubly linked symbols; a min-heap of candidate merges ordered by (rank, position).
    std::vector<int> prev(n), next(n);
    std::vector<bool> alive(n, true);
    for (int i = 0; i < n; ++i) {
        prev[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
    }
    struct Candidate {
        int rank, pos, left, right;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
    auto push = [&](int i) {
        const int j = next[i];
        if (j < 0) return;
        auto it = merges_.find(pair_key(symbols[i], symbols[j]));
        if (it != merges_.end()) heap.push({it->second.first, i, symbols[i], symbols[j]});
    };
    for (int i = 0; i + 1 < n; ++i) push(i);
    while (!heap.empty()) {
        Candidate c = heap.top();
        heap.pop();
        const int i = c.pos, j = next[i];
        // Stale: a neighbour changed since this candidate was pushed.
        if (!alive[i] || j < 0 || symbols[i] != c.left || symbols[j] != c.right) continue;
        symbols[i] = merges_.at(pair_key(c.left, c.right)).second;
        alive[j] = false;
        next[i] = next[j];
        if (next[j] >= 0) prev[next[j]] = i;
        if (prev[i] >= 0) push(prev[i]);
        push(i);
    }
    int w = 0;
    for (int i = 0; i >= 0 && i < n; i = next[i]) symbols[w++] = symbols[i];
    symbols.resize(w);
}

void Bpe::encode_word(std::string_view word, std::vector<int>& out) const {
    if (word.empty()) return;
    const bool cacheable = word.size() <= kMaxCachedWordBytes;
    const std::string key(word);
    if (cacheable) {
        std::shared_lock lock(cache_mutex_);
        auto it = cache_.find(key);
        if (it != cache_.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    std::vector<int> symbols;
    if (byte_level_) {
        auto whole = ignore_merges_ ? raw_vocab_.find(key) : raw_vocab_.end();
        if (whole != raw_vocab_.end()) {
            symbols.push_back(whole->second);
        } else {
            for (unsigned char b : word) {
                if (byte_id_[b] >= 0) {
                    symbols.push_back(byte_id_[b]);
                } else if (unk_id_ >= 0 && !(fuse_unk_ && !symbols.empty() && symbols.back() == unk_id_)) {
                    symbols.push_back(unk_id_);
                }
            }
            merge(symbols);
        }
    } else {
        auto whole = ignore_merges_ ? vocab_.find(key) : vocab_.end();
        if (whole != vocab_.end()) {
            symbols.push_back(whole->second);
        } else {
            for (size_t i = 0; i < word.size();) {
                size_t start = i;
                next_code_point(word, i);
                auto it = vocab_.find(std::string(word.substr(start, i - start)));
                if (it != vocab_.end()) {
                    symbols.push_back(it->second);
                } else if (unk_id_ >= 0 && !(fuse_unk_ && !symbols.empty() && symbols.back() == unk_id_)) {
                    symbols.push_back(unk_id_);
                }
            }
            merge(symbols);
        }
    }
    out.insert(out.end(), symbols.begin(), symbols.end());
    if (cacheable) {
        std::unique_lock lock(cache_mutex_);
        if (cache_.size() < kCacheCapacity) cache_.emplace(key, std::move(symbols));
    }
}

}  // namespace aha::tokenizer
