// Checkpoint directories in the Hugging Face layout; see checkpoint.h.
#include "policy/checkpoint.h"

#include <cctype>
#include <regex>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "core/files.h"
#include "core/log.h"

namespace aha::policy {

namespace {

// Older HF checkpoints store the rotary frequencies, which aha recomputes.
bool is_ignorable(const std::string& name) { return ends_with(name, "rotary_emb.inv_freq"); }

// model.layers.N.<rest> -> N, or -1.
int layer_of(const std::string& name) {
    static const std::string prefix = "model.layers.";
    if (name.compare(0, prefix.size(), prefix) != 0) return -1;
    size_t end = name.find('.', prefix.size());
    if (end == std::string::npos) return -1;
    try {
        return std::stoi(name.substr(prefix.size(), end - prefix.size()));
    } catch (const std::exception&) {
        return -1;
    }
}

}  // namespace

std::vector<HfTensor> hf_tensors(CausalLM& model) {
    std::vector<HfTensor> out;
    const int64_t I = model->config().moe.intermediate_size;
    for (const auto& p : model->named_parameters()) {
        const std::string& name = p.key();
        if (ends_with(name, ".experts.gate_up_proj") || ends_with(name, ".experts.down_proj")) {
            const std::string base = name.substr(0, name.rfind('.') + 1);  // ...mlp.experts.
            const bool gate_up = ends_with(name, "gate_up_proj");
            for (int64_t e = 0; e < p.value().size(0); ++e) {
                const std::string expert = base + std::to_string(e) + ".";
                if (gate_up) {
                    out.push_back({expert + "gate_proj.weight", p.value()[e].narrow(0, 0, I)});
                    out.push_back({expert + "up_proj.weight", p.value()[e].narrow(0, I, I)});
                } else {
                    out.push_back({expert + "down_proj.weight", p.value()[e]});
                }
            }
        } else {
            out.push_back({name, p.value()});
        }
    }
    for (const auto& b : model->named_buffers()) out.push_back({b.key(), b.value()});
    return out;
}

TensorMap load_checkpoint_tensors(const std::string& dir) {
    const std::string single = dir + "/model.safetensors", index_path = dir + "/model.safetensors.index.json";
    if (file_exists(single)) return load_safetensors(single);
    if (!file_exists(index_path)) {
        throw IoError(dir + ": no model.safetensors or model.safetensors.index.json (pickle .bin checkpoints are not "
                      "read, by design: convert them with save_pretrained(safe_serialization=True))");
    }
    Json index = load_json_file(index_path);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
        throw FormatError(index_path + ": expected an object with a \"weight_map\" object");
    }
    std::map<std::string, std::set<std::string>> by_file;
    for (const auto& item : index["weight_map"].items()) {
        if (!item.value().is_string()) throw FormatError(index_path + ": weight_map." + item.key() + " must be a file name");
        const std::string file = item.value().get<std::string>();
        if (file.empty() || file.find('/') != std::string::npos || file.find("..") != std::string::npos) {
            throw FormatError(index_path + ": weight_map." + item.key() + ": '" + file + "' is not a file in this directory");
        }
        by_file[file].insert(item.key());
    }
    for (const auto& [file, names] : by_file) {
        if (!file_exists(dir + "/" + file)) {
            throw IoError(dir + "/" + file + ": not found (listed in " + index_path + " for " + *names.begin() + ")");
        }
    }
    TensorMap out;
    for (const auto& [file, names] : by_file) {
        const std::string path = dir + "/" + file;
        TensorMap shard = load_safetensors(path);
        for (const auto& name : names) {
            auto it = shard.find(name);
            if (it == shard.end()) throw FormatError(path + ": missing tensor " + name + " (listed in " + index_path + ")");
            out.emplace(name, it->second);
        }
        for (const auto& [name, t] : shard) {
            if (!names.count(name)) throw FormatError(path + ": tensor " + name + " is not listed in " + index_path);
        }
    }
    return out;
}

void load_weights(CausalLM& model, const TensorMap& tensors, const std::string& source) {
    torch::NoGradGuard no_grad;
    const auto& c = model->config();
    std::set<std::string> used;
    for (auto& t : hf_tensors(model)) {
        auto it = tensors.find(t.name);
        if (it == tensors.end()) throw FormatError(source + ": missing tensor " + t.name);
        if (it->second.sizes() != t.target.sizes()) {
            throw FormatError(source + ": tensor " + t.name + " has shape " + c10::str(it->second.sizes()) +
                              ", the model expects " + c10::str(t.target.sizes()));
        }
        if (!it->second.is_floating_point()) {
            throw FormatError(source + ": tensor " + t.name + " has dtype " + std::string(c10::toString(it->second.scalar_type())) +
                              "; expected a floating-point type");
        }
        t.target.copy_(it->second);
        used.insert(t.name);
    }
    for (const auto& [name, t] : tensors) {
        if (used.count(name) || is_ignorable(name)) continue;
        if (name == "lm_head.weight" && c.tie_word_embeddings) {
            // Tied checkpoints sometimes store the head as well; it must equal the embeddings.
            if (!torch::equal(t.to(torch::kFloat32), model->model->embed_tokens->weight.to(torch::kFloat32))) {
                throw FormatError(source + ": lm_head.weight differs from the embeddings but tie_word_embeddings is true");
            }
            continue;
        }
        if (c.model_type == "deepseek_v3" && layer_of(name) >= c.num_layers) continue;  // multi-token prediction
        throw FormatError(source + ": unexpected tensor " + name + " (not part of this " + c.model_type + " architecture)");
    }
}

torch::ScalarType parse_dtype(const std::string& name, const std::string& where) {
    if (name == "float32" || name == "fp32") return torch::kFloat32;
    if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
    if (name == "float16" || name == "fp16") return torch::kFloat16;
    throw ConfigError(where + ": dtype '" + name + "' is not supported; expected auto, float32, bfloat16 or float16");
}

std::string dtype_to_hf(torch::ScalarType t) {
    switch (t) {
        case torch::kFloat32: return "float32";
        case torch::kBFloat16: return "bfloat16";
        case torch::kFloat16: return "float16";
        default: throw Error(std::string("dtype ") + c10::toString(t) + " has no Hugging Face name");
    }
}

CausalLM load_model(const std::string& dir, const std::string& dtype) {
    const std::string config_path = dir + "/config.json";
    Json hf = load_json_file(config_path);
    TransformerConfig config = TransformerConfig::from_hf_json(hf, config_path);
    TensorMap tensors = load_checkpoint_tensors(dir);
    torch::ScalarType type = torch::kFloat32;
    if (dtype == "auto") {
        // The dtype most of the weights are stored in (by bytes): checkpoints keep a few small tensors,
        // like the routing bias, in fp32 next to bf16 weights.
        std::map<torch::ScalarType, int64_t> bytes;
        for (const auto& [name, t] : tensors) {
            if (t.is_floating_point()) bytes[t.scalar_type()] += t.numel() * t.element_size();
        }
        int64_t most = -1;
        for (const auto& [t, n] : bytes) {
            if (n > most) {
                most = n;
                type = t;
            }
        }
        if (type != torch::kFloat32 && type != torch::kBFloat16 && type != torch::kFloat16) {
            throw FormatError(dir + ": weights stored as " + std::string(c10::toString(type)) +
                              "; pass dtype float32 or bfloat16 to cast");
        }
    } else {
        type = parse_dtype(dtype, "dtype");
    }
    torch::NoGradGuard no_grad;
    CausalLM model(config);
    model->to(type);
    // The routing correction bias stays fp32 (transformers keeps it so too): it decides near-ties.
    for (auto& m : model->moe_layers()) {
        auto& bias = m->gate->e_score_correction_bias;
        if (bias.defined()) bias.set_data(bias.to(torch::kFloat32));
    }
    load_weights(model, tensors, dir);
    return model;
}

CharTokenizer load_char_tokenizer(const std::string& dir) {
    const std::string path = dir + "/aha_tokenizer.json";
    return CharTokenizer::from_json(load_json_file(path), path);
}

namespace {

std::string shard_name(size_t i, size_t n) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, n);
    return buf;
}

}  // namespace

void save_hf_model(const std::string& dir, CausalLM& model, int64_t max_shard_bytes) {
    ensure_writable_dir(dir);
    torch::ScalarType dtype = model->parameters().front().scalar_type();
    // Greedy packing in name order, as transformers does; a tensor larger than the limit gets its own shard.
    std::vector<TensorMap> shards(1);
    std::vector<int64_t> shard_bytes(1, 0);
    int64_t total = 0;
    auto tensors = hf_tensors(model);
    std::sort(tensors.begin(), tensors.end(), [](const HfTensor& a, const HfTensor& b) { return a.name < b.name; });
    for (const auto& t : tensors) {
        const int64_t n = t.target.numel() * t.target.element_size();
        if (shard_bytes.back() > 0 && shard_bytes.back() + n > max_shard_bytes) {
            shards.emplace_back();
            shard_bytes.push_back(0);
        }
        shards.back()[t.name] = t.target;
        shard_bytes.back() += n;
        total += n;
    }
    const std::map<std::string, std::string> metadata = {{"format", "pt"}};
    // Remove weights of an earlier save with a different sharding, so the directory is never ambiguous.
    const std::string index_path = dir + "/model.safetensors.index.json";
    if (shards.size() == 1) {
        save_safetensors(dir + "/model.safetensors", shards[0], metadata);
        if (file_exists(index_path)) remove_tree(index_path);
    } else {
        Json weight_map = Json::object();
        for (size_t i = 0; i < shards.size(); ++i) {
            const std::string file = shard_name(i, shards.size());
            save_safetensors(dir + "/" + file, shards[i], metadata);
            for (const auto& [name, t] : shards[i]) weight_map[name] = file;
        }
        Json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
        write_file_atomic(index_path, index.dump(2) + "\n");
        if (file_exists(dir + "/model.safetensors")) remove_tree(dir + "/model.safetensors");
    }
    write_file_atomic(dir + "/config.json", model->config().to_hf_json(dtype_to_hf(dtype)).dump(2) + "\n");
}

void save_checkpoint(const std::string& dir, CausalLM& model, const CharTokenizer& tokenizer) {
    save_hf_model(dir, model);
    write_file_atomic(dir + "/tokenizer.json", tokenizer.to_hf_tokenizer_json().dump(2) + "\n");
    write_file_atomic(dir + "/tokenizer_config.json", tokenizer.hf_tokenizer_config().dump(2) + "\n");
    write_file_atomic(dir + "/generation_config.json", tokenizer.hf_generation_config().dump(2) + "\n");
}

void export_checkpoint(const std::string& src, const std::string& out, const std::string& dtype, int64_t max_shard_bytes) {
    if (src == out) throw ConfigError("export: --out must differ from the source directory " + src);
    CausalLM model = load_model(src, dtype);
    save_hf_model(out, model, max_shard_bytes);
    copy_text_side(src, out);
}

void copy_text_side(const std::string& src, const std::string& out) {
    for (const char* side : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
                             "vocab.json", "merges.txt", "aha_tokenizer.json", "chat_template.jinja"}) {
        const std::string from = src + "/" + side;
        if (file_exists(from)) write_file_atomic(out + "/" + side, read_file(from));
    }
}

int64_t parse_byte_size(const std::string& text, const std::string& where) {
    static const std::regex pattern(R"(\s*([0-9]+)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*)", std::regex::icase);
    std::smatch m;
    if (!std::regex_match(text, m, pattern)) {
        throw ConfigError(where + ": '" + text + "' is not a size; expected e.g. 5GB, 500MB or a byte count");
    }
    int64_t n = std::stoll(m[1].str());
    std::string unit = m[2].str();
    for (auto& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const int64_t mult = unit == "KB" ? 1000 : unit == "MB" ? 1000000 : unit == "GB" ? 1000000000
                       : unit == "KIB" ? 1024 : unit == "MIB" ? (1 << 20) : unit == "GIB" ? (int64_t{1} << 30) : 1;
    if (n <= 0) throw ConfigError(where + ": size must be > 0");
    return n * mult;
}

}  // namespace aha::policy
