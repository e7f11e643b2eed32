// A checkpoint's text side; see model_text.h.
#include "tokenizer/model_text.h"

#include <algorithm>

#include "core/error.h"
#include "core/files.h"

namespace aha::tokenizer {

namespace {

// A special token of tokenizer_config.json: a string, or an object with "content" (older files).
std::string token_string(const Json& config, const char* key) {
    if (!config.contains(key)) return "";
    const Json& v = config[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
    return "";
}

// eos_token_id of a generation or model config: an id or a list of ids.
std::vector<int> end_ids_of(const Json& j, const std::string& path) {
    std::vector<int> ids;
    if (!j.contains("eos_token_id") || j["eos_token_id"].is_null()) return ids;
    const Json& e = j["eos_token_id"];
    auto add = [&](const Json& x) {
        if (!x.is_number_integer() || x.get<int64_t>() < 0) {
            throw FormatError(path + ": eos_token_id: expected a token id or a list of them, got " + e.dump());
        }
        ids.push_back(x.get<int>());
    };
    if (e.is_array()) {
        for (const auto& x : e) add(x);
    } else {
        add(e);
    }
    return ids;
}

Json read_optional(const std::string& path) { return file_exists(path) ? load_json_file(path) : Json::object(); }

void check_ids(const ModelText& t) {
    const int vocab = t.tokenizer->vocab_size();
    for (int id : t.eos_ids) {
        if (id >= vocab) {
            throw FormatError(t.source + ": end-of-sequence id " + std::to_string(id) + " is outside the tokenizer's " +
                              std::to_string(vocab) + " ids");
        }
    }
    if (t.pad_id < 0 || t.pad_id >= vocab) {
        throw FormatError(t.source + ": padding id " + std::to_string(t.pad_id) + " is outside the tokenizer's ids");
    }
}

}  // namespace

std::vector<int> ModelText::encode(const std::string& text) const { return tokenizer->encode(text, false); }

std::string ModelText::decode(const std::vector<int>& ids) const {
    std::vector<int> known;
    known.reserve(ids.size());
    for (int id : ids) {
        if (tokenizer->has_id(id)) known.push_back(id);
    }
    return tokenizer->decode(known, true);
}

bool ModelText::is_eos(int id) const { return std::find(eos_ids.begin(), eos_ids.end(), id) != eos_ids.end(); }

int ModelText::vocab_size() const { return tokenizer->vocab_size(); }

ModelText ModelText::load(const std::string& dir, const std::string& tokenizer_path) {
    ModelText t;
    t.source = dir;
    const std::string tok = tokenizer_path.empty() ? dir + "/tokenizer.json" : tokenizer_path;
    if (tokenizer_path.empty() && !file_exists(tok)) {
        throw IoError(dir + ": no tokenizer.json", "give the model's tokenizer with \"tokenizer\": PATH");
    }
    t.tokenizer = std::make_shared<const Tokenizer>(Tokenizer::from_file(tok));
    t.tokenizer_config = read_optional(dir + "/tokenizer_config.json");
    // transformers >= 4.43 saves the chat template as chat_template.jinja and prefers it to the config's.
    if (file_exists(dir + "/chat_template.jinja")) t.tokenizer_config["chat_template"] = read_file(dir + "/chat_template.jinja");
    t.bos_token = token_string(t.tokenizer_config, "bos_token");
    t.eos_token = token_string(t.tokenizer_config, "eos_token");
    const Json generation = read_optional(dir + "/generation_config.json");
    const Json model = read_optional(dir + "/config.json");
    t.eos_ids = end_ids_of(generation, dir + "/generation_config.json");
    if (t.eos_ids.empty()) t.eos_ids = end_ids_of(model, dir + "/config.json");
    const int eos = t.eos_token.empty() ? -1 : t.tokenizer->token_to_id(t.eos_token);
    if (eos >= 0 && !t.is_eos(eos)) t.eos_ids.push_back(eos);
    if (t.eos_ids.empty()) {
        throw FormatError(dir + ": no end-of-sequence token (generation_config.json or config.json eos_token_id, or "
                          "tokenizer_config.json eos_token)", "generation would never stop");
    }
    const std::string pad = token_string(t.tokenizer_config, "pad_token");
    t.pad_id = pad.empty() ? -1 : t.tokenizer->token_to_id(pad);
    if (t.pad_id < 0 && model.contains("pad_token_id") && model["pad_token_id"].is_number_integer()) {
        t.pad_id = model["pad_token_id"].get<int>();
    }
    if (t.pad_id < 0) t.pad_id = t.eos_ids.front();  // only fills the batch's padding; never attended to
    check_ids(t);
    return t;
}

ModelText ModelText::from_tokenizer(Tokenizer tokenizer, std::vector<int> eos_ids, int pad_id) {
    ModelText t;
    t.source = tokenizer.source();
    t.tokenizer = std::make_shared<const Tokenizer>(std::move(tokenizer));
    t.eos_ids = std::move(eos_ids);
    t.pad_id = pad_id;
    t.tokenizer_config = Json::object();
    if (t.eos_ids.empty()) throw FormatError(t.source + ": no end-of-sequence id");
    check_ids(t);
    return t;
}

}  // namespace aha::tokenizer
