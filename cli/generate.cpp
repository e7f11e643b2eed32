// `aha generate`; see generate.h.
#include "cli/generate.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>

#include "core/config.h"
#include "core/error.h"
#include "core/files.h"
#include "policy/checkpoint.h"
#include "rollout/engine.h"
#include "tokenizer/model_text.h"

namespace aha::cli {

namespace {

// The checkpoint's text side: its tokenizer.json (tokenizer::ModelText), an older aha checkpoint's
// aha_tokenizer.json, or none (ids only).
std::optional<tokenizer::ModelText> load_text_side(const std::string& dir) {
    if (file_exists(dir + "/tokenizer.json")) return tokenizer::ModelText::load(dir);
    if (file_exists(dir + "/aha_tokenizer.json")) return policy::load_char_tokenizer(dir).model_text();
    return std::nullopt;
}

// Without a tokenizer: eos_token_id (an id or a list) from generation_config.json, else config.json.
std::vector<int> config_end_ids(const std::string& dir) {
    std::vector<int> eos;
    for (const char* file : {"generation_config.json", "config.json"}) {
        const std::string path = dir + "/" + file;
        if (!eos.empty() || !file_exists(path)) continue;
        Json j = load_json_file(path);
        if (!j.contains("eos_token_id")) continue;
        const Json& e = j["eos_token_id"];
        if (e.is_number_integer()) eos.push_back(e.get<int>());
        if (e.is_array()) {
            for (const auto& x : e) {
                if (x.is_number_integer()) eos.push_back(x.get<int>());
            }
        }
    }
    return eos;
}

using TextSide = std::optional<tokenizer::ModelText>;

std::vector<std::vector<int>> read_prompts(const std::string& path, const TextSide& text, int vocab_size) {
    std::vector<std::vector<int>> prompts;
    read_json_lines(path, [&](const Json& j, const std::string& where) {
        std::vector<int> ids;
        if (j.is_object() && j.contains("prompt_ids") && j["prompt_ids"].is_array()) {
            for (const auto& id : j["prompt_ids"]) {
                if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= vocab_size) {
                    throw FormatError(where + ": prompt_ids: " + id.dump() + " is not a token id of this model (0.." +
                                      std::to_string(vocab_size - 1) + ")");
                }
                ids.push_back(id.get<int>());
            }
        } else if (j.is_object() && j.contains("prompt") && j["prompt"].is_string()) {
            if (!text) {
                throw ConfigError(where + ": a text prompt needs the model's tokenizer, and the checkpoint has neither "
                                  "tokenizer.json nor aha_tokenizer.json; give prompt_ids instead");
            }
            ids = text->encode(j["prompt"].get<std::string>());
        } else {
            throw FormatError(where + ": expected {\"prompt\": text} or {\"prompt_ids\": [ids]}");
        }
        if (ids.empty()) throw FormatError(where + ": the prompt has no tokens");
        prompts.push_back(std::move(ids));
    });
    if (prompts.empty()) throw FormatError(path + ": no prompts");
    return prompts;
}

// The engine's detokeniser over the checkpoint's tokenizer (special tokens skipped).
class HfTextStream : public rollout::TextStream {
 public:
    explicit HfTextStream(const tokenizer::Tokenizer& t) : decoder_(t, /*skip_special_tokens=*/true) {}
    std::string push(int id) override { return decoder_.push(id); }
    std::string finish() override { return decoder_.finish(); }

 private:
    tokenizer::StreamDecoder decoder_;
};

}  // namespace

int run_generate(const GenerateOptions& o, std::ostream& out) {
    config_require(o.n >= 1, "--n", "expected >= 1");
    config_require(o.max_tokens >= 1, "--max-tokens", "expected >= 1");
    for (const auto& s : o.stop) config_require(!s.empty(), "--stop", "expected a non-empty string");
    if (o.threads > 0) torch::set_num_threads(o.threads);
    policy::CausalLM model = policy::load_model(o.model, o.dtype);
    model->eval();
    const TextSide text = load_text_side(o.model);
    if (!o.stop.empty() && !text) throw ConfigError("--stop: needs the model's tokenizer to read the text");
    const std::vector<int> eos_ids = text ? text->eos_ids : config_end_ids(o.model);
    const auto prompts = read_prompts(o.prompts, text, model->config().vocab_size);

    size_t longest = 0;
    for (const auto& p : prompts) longest = std::max(longest, p.size());
    if (static_cast<int64_t>(longest) + o.max_tokens > model->config().max_position) {
        throw ConfigError("--max-tokens: the longest prompt (" + std::to_string(longest) + " tokens) + " +
                          std::to_string(o.max_tokens) + " new tokens exceeds the model's max_position_embeddings (" +
                          std::to_string(model->config().max_position) + ")");
    }
    rollout::SamplingParams params;
    params.n = o.n;
    params.temperature = o.temperature;
    params.top_p = o.top_p;
    params.top_k = o.top_k;
    params.min_p = o.min_p;
    params.max_new_tokens = o.max_tokens;
    params.stop = o.stop;
    params.stop_token_ids = o.stop_token_ids;
    params.ignore_eos = o.ignore_eos;
    params.logprobs = o.logprobs;
    try {
        params.validate("sampling");
    } catch (const ConfigError& e) {
        throw ConfigError(std::string(e.what()) + " (set by --temperature/--top-k/--top-p/--min-p/--n)");
    }
    rollout::EngineConfig engine_config = o.engine;
    try {
        engine_config.validate("engine");
    } catch (const ConfigError& e) {
        throw ConfigError(std::string(e.what()) + " (set by --block-size/--max-num-seqs/--max-num-batched-tokens/"
                          "--kv-cache-memory)");
    }
    if (o.n > engine_config.max_num_seqs) engine_config.max_num_seqs = o.n;  // a group always fits
    rollout::TextStreamFactory detokenizer;
    if (text) detokenizer = [&] { return std::make_unique<HfTextStream>(*text->tokenizer); };
    rollout::Engine engine(model, engine_config, eos_ids, detokenizer);
    std::vector<rollout::Request> requests;
    for (size_t i = 0; i < prompts.size(); ++i) {
        rollout::Request r{prompts[i], params};
        r.params.seed = rollout::request_seed(o.seed, static_cast<int64_t>(i));
        requests.push_back(std::move(r));
    }
    for (const auto& c : engine.run(std::move(requests))) {
        Json line = {{"prompt_index", c.request}, {"sample_index", c.sample}, {"token_ids", c.token_ids}};
        if (text) line["text"] = c.text;
        line["finish_reason"] = c.finish_reason;
        if (!c.stop_reason.empty()) line["stop_reason"] = c.stop_reason;
        if (o.logprobs) line["logprobs"] = c.logprobs;
        out << line.dump() << '\n';
    }
    out.flush();
    return 0;
}

}  // namespace aha::cli
