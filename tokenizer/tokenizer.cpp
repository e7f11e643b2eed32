// tokenizer.json pipeline; see tokenizer.h.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <array>
#include <map>
#include <thread>
#include <unordered_map>

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "tokenizer/bpe.h"
#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace aha::tokenizer {

namespace {

// GPT-2's pre-tokenization pattern (ByteLevel with use_regex).
const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string type_of(const Json& j, const std::string& where) {
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) throw FormatError(where + ": expected an object with a \"type\"");
    return j["type"].get<std::string>();
}

[[noreturn]] void unsupported(const std::string& where, const std::string& type, const std::string& supported) {
    throw FormatError(where + ": type '" + type + "' is not supported; supported: " + supported);
}

// ---- normalizer ----

enum class NormForm { kNfc, kNfd, kNfkc, kNfkd };

void parse_normalizer(const Json& j, const std::string& where, std::vector<NormForm>& out) {
    if (j.is_null()) return;
    const std::string type = type_of(j, where);
    if (type == "NFC") out.push_back(NormForm::kNfc);
    else if (type == "NFD") out.push_back(NormForm::kNfd);
    else if (type == "NFKC") out.push_back(NormForm::kNfkc);
    else if (type == "NFKD") out.push_back(NormForm::kNfkd);
    else if (type == "Sequence") {
        if (!j.contains("normalizers") || !j["normalizers"].is_array()) throw FormatError(where + ".normalizers: expected a list");
        for (size_t i = 0; i < j["normalizers"].size(); ++i) {
            parse_normalizer(j["normalizers"][i], where + ".normalizers[" + std::to_string(i) + "]", out);
        }
    } else {
        unsupported(where, type, "NFC, NFD, NFKC, NFKD, Sequence");
    }
}

bool is_ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c >= 0x80) return false;
    }
    return true;
}

// ---- pre-tokenizer ----

enum class Behavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct PreTokStep {
    bool byte_level = false;  // ByteLevel step, else Split
    std::shared_ptr<Regex> regex;
    std::string literal;      // Split with a String pattern
    Behavior behavior = Behavior::kIsolated;
    bool invert = false;
    bool add_prefix_space = false;
};

std::string regex_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (std::string("\\^$.|?*+()[]{}-/").find(c) != std::string::npos) out += '\\';
        out += c;
    }
    return out;
}

void parse_pre_tokenizer(const Json& j, const std::string& where, std::vector<PreTokStep>& out) {
    if (j.is_null()) return;
    const std::string type = type_of(j, where);
    if (type == "Sequence") {
        if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array()) throw FormatError(where + ".pretokenizers: expected a list");
        for (size_t i = 0; i < j["pretokenizers"].size(); ++i) {
            parse_pre_tokenizer(j["pretokenizers"][i], where + ".pretokenizers[" + std::to_string(i) + "]", out);
        }
    } else if (type == "Split") {
        PreTokStep s;
        const Json& p = j.value("pattern", Json());
        if (p.is_object() && p.contains("Regex") && p["Regex"].is_string()) {
            s.regex = std::make_shared<Regex>(p["Regex"].get<std::string>(), where + ".pattern.Regex");
        } else if (p.is_object() && p.contains("String") && p["String"].is_string()) {
            s.regex = std::make_shared<Regex>(regex_escape(p["String"].get<std::string>()), where + ".pattern.String");
        } else {
            throw FormatError(where + ".pattern: expected {\"Regex\": ...} or {\"String\": ...}");
        }
        static const std::map<std::string, Behavior> behaviors = {
            {"Isolated", Behavior::kIsolated}, {"Removed", Behavior::kRemoved},
            {"MergedWithPrevious", Behavior::kMergedWithPrevious}, {"MergedWithNext", Behavior::kMergedWithNext},
            {"Contiguous", Behavior::kContiguous}};
        const std::string b = j.value("behavior", "Isolated");
        auto it = behaviors.find(b);
        if (it == behaviors.end()) {
            throw FormatError(where + ".behavior: '" + b + "' is not one of Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous");
        }
        s.behavior = it->second;
        s.invert = j.value("invert", false);
        out.push_back(std::move(s));
    } else if (type == "ByteLevel") {
        PreTokStep s;
        s.byte_level = true;
        s.add_prefix_space = j.value("add_prefix_space", true);
        if (j.value("use_regex", true)) s.regex = std::make_shared<Regex>(kGpt2Pattern, where + " (GPT-2 pattern)");
        out.push_back(std::move(s));
    } else {
        unsupported(where, type, "Split, ByteLevel, Sequence");
    }
}

// Splits `piece` by the step's regex into pieces, per its behavior.
void split_piece(const PreTokStep& s, const std::string& piece, std::vector<std::string>& out) {
    std::vector<std::pair<std::pair<size_t, size_t>, bool>> parts;  // ([b, e), is_match)
    size_t prev = 0;
    for (const auto& [b, e] : s.regex->find_all(piece)) {
        if (b > prev) parts.push_back({{prev, b}, false});
        parts.push_back({{b, e}, true});
        prev = e;
    }
    if (prev < piece.size()) parts.push_back({{prev, piece.size()}, false});
    if (s.invert) {
        for (auto& p : parts) p.second = !p.second;
    }
    auto text = [&](const std::pair<size_t, size_t>& r) { return piece.substr(r.first, r.second - r.first); };
    switch (s.behavior) {
        case Behavior::kIsolated:
            for (const auto& p : parts) out.push_back(text(p.first));
            break;
        case Behavior::kRemoved:
            for (const auto& p : parts) {
                if (!p.second) out.push_back(text(p.first));
            }
            break;
        case Behavior::kMergedWithPrevious: {
            // A match joins the piece before it only when that piece is not a match itself.
            bool previous_plain = false;
            for (const auto& p : parts) {
                if (p.second && previous_plain) {
                    out.back() += text(p.first);
                    previous_plain = false;
                } else {
                    out.push_back(text(p.first));
                    previous_plain = !p.second;
                }
            }
            break;
        }
        case Behavior::kMergedWithNext: {
            // A match joins the piece after it only when that piece is not a match itself.
            for (size_t i = 0; i < parts.size(); ++i) {
                if (parts[i].second && i + 1 < parts.size() && !parts[i + 1].second) {
                    out.push_back(text(parts[i].first) + text(parts[i + 1].first));
                    ++i;
                } else {
                    out.push_back(text(parts[i].first));
                }
            }
            break;
        }
        case Behavior::kContiguous: {
            for (size_t i = 0; i < parts.size(); ++i) {
                std::string cur = text(parts[i].first);
                while (parts[i].second && i + 1 < parts.size() && parts[i + 1].second) cur += text(parts[++i].first);
                out.push_back(cur);
            }
            break;
        }
    }
}

// ---- post-processor ----

struct TemplatePiece {
    bool special = false;
    std::vector<int> ids;  // the special token's ids
};

void parse_post_processor(const Json& j, const std::string& where, std::vector<TemplatePiece>& single, bool& has_template) {
    if (j.is_null()) return;
    const std::string type = type_of(j, where);
    if (type == "ByteLevel") return;  // offsets only
    if (type == "Sequence") {
        if (!j.contains("processors") || !j["processors"].is_array()) throw FormatError(where + ".processors: expected a list");
        for (size_t i = 0; i < j["processors"].size(); ++i) {
            parse_post_processor(j["processors"][i], where + ".processors[" + std::to_string(i) + "]", single, has_template);
        }
        return;
    }
    if (type != "TemplateProcessing") unsupported(where, type, "TemplateProcessing, ByteLevel, Sequence");
    if (has_template) throw FormatError(where + ": more than one TemplateProcessing");
    has_template = true;
    const Json& specials = j.value("special_tokens", Json::object());
    if (!j.contains("single") || !j["single"].is_array()) throw FormatError(where + ".single: expected a list");
    for (const auto& item : j["single"]) {
        TemplatePiece p;
        if (item.contains("SpecialToken")) {
            const std::string name = item["SpecialToken"].value("id", "");
            if (!specials.contains(name) || !specials[name].contains("ids")) {
                throw FormatError(where + ".special_tokens: no entry for '" + name + "' used in the single template");
            }
            p.special = true;
            for (const auto& id : specials[name]["ids"]) p.ids.push_back(id.get<int>());
        } else if (item.contains("Sequence")) {
            if (item["Sequence"].value("id", "A") != "A") throw FormatError(where + ".single: only sequence A exists for one text");
        } else {
            throw FormatError(where + ".single: expected SpecialToken or Sequence items");
        }
        single.push_back(std::move(p));
    }
}

// ---- decoder ----

bool parse_decoder(const Json& j, const std::string& where) {
    if (j.is_null()) return false;
    const std::string type = type_of(j, where);
    if (type == "ByteLevel") return true;
    if (type == "Sequence") {
        bool byte_level = false;
        if (!j.contains("decoders") || !j["decoders"].is_array()) throw FormatError(where + ".decoders: expected a list");
        for (size_t i = 0; i < j["decoders"].size(); ++i) {
            byte_level = parse_decoder(j["decoders"][i], where + ".decoders[" + std::to_string(i) + "]") || byte_level;
        }
        return byte_level;
    }
    unsupported(where, type, "ByteLevel, Sequence");
}

}  // namespace

// ---- the tokenizer ----

struct Tokenizer::Impl {
    std::string source;
    std::vector<NormForm> normalizer;
    std::vector<PreTokStep> pre_tokenizer;
    bool byte_level = false;
    std::unique_ptr<Bpe> model;
    std::vector<AddedToken> added;
    std::unordered_map<int, size_t> added_by_id;
    std::unordered_map<std::string, int> added_by_content;
    // Byte tries for leftmost-longest matching of added tokens: raw-text ones and normalized-text ones.
    struct Trie {
        std::vector<std::array<int, 256>> next;
        std::vector<int> token;  // index into `added` ending at the node, or -1
        Trie() { add_node(); }
        int add_node() {
            next.emplace_back();
            next.back().fill(-1);
            token.push_back(-1);
            return static_cast<int>(token.size()) - 1;
        }
        void insert(const std::string& s, int index) {
            int node = 0;
            for (unsigned char c : s) {
                if (next[node][c] < 0) {
                    int n = add_node();
                    next[node][c] = n;
                }
                node = next[node][c];
            }
            token[node] = index;
        }
        bool empty() const { return token.size() == 1; }
    };
    Trie raw_trie, normalized_trie;
    std::vector<TemplatePiece> single_template;
    bool has_template = false;
    bool byte_level_decoder = false;
    int vocab_size = 0;

    std::string normalize(std::string_view s) const {
        std::string out(s);
        for (NormForm f : normalizer) {
            if (is_ascii(out)) break;  // every normal form of ASCII is itself
            switch (f) {
                case NormForm::kNfc: out = normalize_nfc(out); break;
                case NormForm::kNfd: out = normalize_nfd(out); break;
                case NormForm::kNfkc: out = normalize_nfkc(out); break;
                case NormForm::kNfkd: out = normalize_nfkd(out); break;
            }
        }
        return out;
    }

    // Splits `text` around the added tokens of `trie`: appends (segment, -1) for plain text and ("", id)
    // for each added token.
    void split_added(const Trie& trie, const std::string& text, std::vector<std::pair<std::string, int>>& out) const;
    void encode_plain(const std::string& text, std::vector<int>& ids) const;
};

void Tokenizer::Impl::split_added(const Trie& trie, const std::string& text, std::vector<std::pair<std::string, int>>& out) const {
    if (trie.empty()) {
        out.push_back({text, -1});
        return;
    }
    size_t plain_start = 0, i = 0;
    while (i < text.size()) {
        // Longest added token starting at i.
        int node = 0, found = -1;
        size_t found_end = 0;
        for (size_t k = i; k < text.size(); ++k) {
            node = trie.next[node][static_cast<unsigned char>(text[k])];
            if (node < 0) break;
            if (trie.token[node] >= 0) {
                found = trie.token[node];
                found_end = k + 1;
            }
        }
        if (found < 0) {
            ++i;
            continue;
        }
        const AddedToken& t = added[static_cast<size_t>(found)];
        size_t b = i, e = found_end;
        if (t.single_word) {
            // Rejected when glued to a word character on either side (the piece's edges are boundaries); a
            // rejected match is not retried with a shorter token, and matching resumes after it.
            bool ok = true;
            if (b > 0) {
                size_t p = b - 1;
                while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
                size_t q = p;
                ok = !is_word_char(next_code_point(text, q));
            }
            if (ok && e < text.size()) {
                size_t q = e;
                ok = !is_word_char(next_code_point(text, q));
            }
            if (!ok) {
                i = found_end;
                continue;
            }
        }
        if (t.lstrip) {
            while (b > plain_start) {
                size_t p = b - 1;
                while (p > plain_start && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
                size_t q = p;
                if (!is_whitespace(next_code_point(text, q))) break;
                b = p;
            }
        }
        if (t.rstrip) {
            while (e < text.size()) {
                size_t q = e;
                if (!is_whitespace(next_code_point(text, q))) break;
                e = q;
            }
        }
        if (b > plain_start) out.push_back({text.substr(plain_start, b - plain_start), -1});
        out.push_back({std::string(), t.id});
        plain_start = i = e;
    }
    if (plain_start < text.size()) out.push_back({text.substr(plain_start), -1});
}

void Tokenizer::Impl::encode_plain(const std::string& text, std::vector<int>& ids) const {
    std::vector<std::string> pieces{text}, next;
    for (const auto& step : pre_tokenizer) {
        next.clear();
        for (auto& piece : pieces) {
            if (piece.empty()) continue;  // empty splits are dropped before any pre-tokenizer sees them
            if (step.byte_level) {
                if (step.add_prefix_space && (piece.empty() || piece[0] != ' ')) piece.insert(piece.begin(), ' ');
                if (step.regex) {
                    split_piece(step, piece, next);
                } else {
                    next.push_back(std::move(piece));
                }
            } else {
                split_piece(step, piece, next);
            }
        }
        pieces.swap(next);
    }
    for (const auto& piece : pieces) model->encode_word(piece, ids);
}

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const std::string& path) {
    std::string file = path;
    if (file_exists(path + "/tokenizer.json")) file = path + "/tokenizer.json";
    return from_json(load_json_file(file), file);
}

Tokenizer Tokenizer::from_json(const Json& j, const std::string& source) {
    if (!j.is_object()) throw FormatError(source + ": expected a JSON object");
    Tokenizer t;
    Impl& m = *t.impl_;
    m.source = source;
    if (j.contains("truncation") && !j["truncation"].is_null()) throw FormatError(source + ": truncation: only null is supported");
    if (j.contains("padding") && !j["padding"].is_null()) throw FormatError(source + ": padding: only null is supported");
    parse_normalizer(j.value("normalizer", Json()), source + ": normalizer", m.normalizer);
    parse_pre_tokenizer(j.value("pre_tokenizer", Json()), source + ": pre_tokenizer", m.pre_tokenizer);
    for (const auto& s : m.pre_tokenizer) m.byte_level = m.byte_level || s.byte_level;
    if (!j.contains("model")) throw FormatError(source + ": missing key model");
    const std::string model_type = j["model"].value("type", "BPE");
    if (model_type != "BPE") unsupported(source + ": model", model_type, "BPE");
    m.model = std::make_unique<Bpe>(j["model"], m.byte_level, source);
    m.vocab_size = m.model->max_id() + 1;
    const Json& added = j.value("added_tokens", Json::array());
    int next_added_id = m.model->max_id() + 1;
    if (!added.is_array()) throw FormatError(source + ": added_tokens: expected a list");
    for (size_t i = 0; i < added.size(); ++i) {
        const Json& a = added[i];
        const std::string where = source + ": added_tokens[" + std::to_string(i) + "]";
        if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
            !a["content"].is_string()) {
            throw FormatError(where + ": expected an object with an integer id and a string content");
        }
        AddedToken tok;
        tok.id = a["id"].get<int>();
        tok.content = a["content"].get<std::string>();
        tok.single_word = a.value("single_word", false);
        tok.lstrip = a.value("lstrip", false);
        tok.rstrip = a.value("rstrip", false);
        tok.special = a.value("special", false);
        tok.normalized = a.value("normalized", !tok.special);
        if (tok.content.empty()) throw FormatError(where + ": empty content");
        // `tokenizers` ignores the JSON id: a token already in the vocabulary keeps its id, a new one gets
        // the next id after the model's vocabulary and the earlier added tokens. A file that disagrees would
        // decode differently here and there, so it is an error.
        int expected = m.added_by_content.count(tok.content) ? m.added_by_content[tok.content] : -1;
        if (expected < 0) {
            auto v = m.model->vocab().find(tok.content);
            expected = v != m.model->vocab().end() ? v->second : next_added_id;
        }
        if (tok.id != expected) {
            throw FormatError(where + ": id " + std::to_string(tok.id) + " for '" + tok.content + "', but tokenizers assigns " +
                              std::to_string(expected));
        }
        if (tok.id == next_added_id) ++next_added_id;
        m.added_by_id[tok.id] = m.added.size();
        m.added_by_content[tok.content] = tok.id;
        (tok.normalized ? m.normalized_trie : m.raw_trie).insert(tok.normalized ? m.normalize(tok.content) : tok.content,
                                                              static_cast<int>(m.added.size()));
        m.vocab_size = std::max(m.vocab_size, tok.id + 1);
        m.added.push_back(std::move(tok));
    }
    parse_post_processor(j.value("post_processor", Json()), source + ": post_processor", m.single_template, m.has_template);
    m.byte_level_decoder = parse_decoder(j.value("decoder", Json()), source + ": decoder");
    return t;
}

std::vector<int> Tokenizer::encode(std::string_view input, bool add_special_tokens) const {
    const Impl& m = *impl_;
    const std::string text = is_valid_utf8(input) ? std::string(input) : replace_invalid_utf8(input);
    std::vector<int> ids;
    std::vector<std::pair<std::string, int>> raw_parts, parts;
    m.split_added(m.raw_trie, text, raw_parts);
    for (auto& [segment, id] : raw_parts) {
        if (id >= 0) {
            ids.push_back(id);
            continue;
        }
        parts.clear();
        m.split_added(m.normalized_trie, m.normalize(segment), parts);
        for (const auto& [piece, piece_id] : parts) {
            if (piece_id >= 0) {
                ids.push_back(piece_id);
            } else {
                m.encode_plain(piece, ids);
            }
        }
    }
    if (add_special_tokens && m.has_template) {
        std::vector<int> out;
        for (const auto& p : m.single_template) {
            if (p.special) {
                out.insert(out.end(), p.ids.begin(), p.ids.end());
            } else {
                out.insert(out.end(), ids.begin(), ids.end());
            }
        }
        return out;
    }
    return ids;
}

std::vector<std::vector<int>> Tokenizer::encode_batch(const std::vector<std::string>& texts, bool add_special_tokens, int threads) const {
    std::vector<std::vector<int>> out(texts.size());
    unsigned n = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
    n = std::min<unsigned>(n, static_cast<unsigned>(std::max<size_t>(1, texts.size())));
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(n);
    for (unsigned w = 0; w < n; ++w) {
        pool.emplace_back([&, w] {
            try {
                for (size_t i = w; i < texts.size(); i += n) out[i] = encode(texts[i], add_special_tokens);
            } catch (...) {
                errors[w] = std::current_exception();
            }
        });
    }
    for (auto& th : pool) th.join();
    for (auto& e : errors) {
        if (e) std::rethrow_exception(e);
    }
    return out;
}

std::string Tokenizer::token_bytes(int id) const {
    const Impl& m = *impl_;
    std::string token;
    auto added = m.added_by_id.find(id);
    if (added != m.added_by_id.end()) {
        token = m.added[added->second].content;
    } else if (const std::string* t = m.model->token(id)) {
        token = *t;
    } else {
        throw FormatError(m.source + ": decode: token id " + std::to_string(id) + " is not in the vocabulary (0.." +
                          std::to_string(m.vocab_size - 1) + ")");
    }
    if (!m.byte_level_decoder) return token;
    // Byte-level characters back to bytes; a token with a character outside the alphabet (an added token
    // such as DeepSeek's full-width specials) stays as its UTF-8 text.
    const auto& table = ByteLevelTable::get();
    std::string bytes;
    for (size_t i = 0; i < token.size();) {
        char32_t cp = next_code_point(token, i);
        if (cp >= 512 || table.char_to_byte[cp] < 0) return token;
        bytes += static_cast<char>(table.char_to_byte[cp]);
    }
    return bytes;
}

std::string Tokenizer::decode(const std::vector<int>& ids, bool skip_special_tokens) const {
    std::string bytes;
    bool first = true;
    for (int id : ids) {
        if (skip_special_tokens && is_special(id)) continue;
        if (!impl_->byte_level_decoder && !first) bytes += ' ';  // no decoder: tokens joined by spaces
        bytes += token_bytes(id);
        first = false;
    }
    return is_valid_utf8(bytes) ? bytes : replace_invalid_utf8(bytes);
}

int Tokenizer::vocab_size() const { return impl_->vocab_size; }

bool Tokenizer::has_id(int id) const {
    return impl_->added_by_id.count(id) > 0 || impl_->model->token(id) != nullptr;
}

int Tokenizer::token_to_id(const std::string& token) const {
    auto a = impl_->added_by_content.find(token);
    if (a != impl_->added_by_content.end()) return a->second;
    auto v = impl_->model->vocab().find(token);
    return v == impl_->model->vocab().end() ? -1 : v->second;
}

std::string Tokenizer::id_to_token(int id) const {
    auto added = impl_->added_by_id.find(id);
    if (added != impl_->added_by_id.end()) return impl_->added[added->second].content;
    if (const std::string* t = impl_->model->token(id)) return *t;
    throw FormatError(impl_->source + ": token id " + std::to_string(id) + " is not in the vocabulary");
}

bool Tokenizer::is_special(int id) const {
    auto added = impl_->added_by_id.find(id);
    return added != impl_->added_by_id.end() && impl_->added[added->second].special;
}

const std::vector<AddedToken>& Tokenizer::added_tokens() const { return impl_->added; }
const std::string& Tokenizer::source() const { return impl_->source; }

// ---- streaming ----

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(tokenizer), skip_special_(skip_special_tokens) {}

std::string StreamDecoder::push(int id) {
    if (skip_special_ && tokenizer_.is_special(id)) return "";
    if (!tokenizer_.has_id(id)) return "";  // a row of the model's embedding without a token: nothing, as `tokenizers`
    pending_ += tokenizer_.token_bytes(id);
    const size_t complete = complete_utf8_prefix(pending_);
    std::string out = pending_.substr(0, complete);
    pending_.erase(0, complete);
    return is_valid_utf8(out) ? out : replace_invalid_utf8(out);
}

std::string StreamDecoder::finish() {
    std::string out = replace_invalid_utf8(pending_);
    pending_.clear();
    return out;
}

}  // namespace aha::tokenizer
