// Checkpoint directories in the Hugging Face layout; see checkpoint.h.
#include "policy/checkpoint.h"

#include <set>

#include "core/error.h"
#include "core/files.h"

namespace aha::policy {

Json to_hf_config(const TransformerConfig& c) {
    return {{"architectures", {"LlamaForCausalLM"}},
            {"model_type", "llama"},
            {"vocab_size", c.vocab_size},
            {"hidden_size", c.hidden_size},
            {"num_hidden_layers", c.num_layers},
            {"num_attention_heads", c.num_heads},
            {"num_key_value_heads", c.num_kv_heads},
            {"intermediate_size", c.intermediate_size},
            {"max_position_embeddings", c.max_position},
            {"rope_theta", c.rope_theta},
            {"rms_norm_eps", c.rms_norm_eps},
            {"tie_word_embeddings", c.tie_word_embeddings},
            {"attention_bias", c.attention_bias},
            {"mlp_bias", false},
            {"hidden_act", "silu"},
            {"torch_dtype", "float32"}};
}

namespace {

bool is_ignorable(const std::string& name) {
    // Older HF checkpoints store the rotary frequencies, which aha recomputes.
    return name.size() >= 19 && name.compare(name.size() - 19, 19, "rotary_emb.inv_freq") == 0;
}

}  // namespace

void load_weights(CausalLM& model, const TensorMap& tensors, const std::string& source) {
    torch::NoGradGuard no_grad;
    std::set<std::string> used;
    for (auto& p : model->named_parameters()) {
        auto it = tensors.find(p.key());
        if (it == tensors.end()) throw FormatError(source + ": missing tensor " + p.key());
        const auto& t = it->second;
        if (t.sizes() != p.value().sizes()) {
            throw FormatError(source + ": tensor " + p.key() + " has shape " + c10::str(t.sizes()) + ", the model expects " +
                              c10::str(p.value().sizes()));
        }
        p.value().copy_(t.to(p.value().dtype()));
        used.insert(p.key());
    }
    for (const auto& [name, t] : tensors) {
        if (used.count(name) || is_ignorable(name)) continue;
        if (name == "lm_head.weight" && model->config().tie_word_embeddings) {
            // Tied checkpoints sometimes store the head as well; it must equal the embeddings.
            if (!torch::equal(t.to(torch::kFloat32), model->model->embed_tokens->weight.to(torch::kFloat32))) {
                throw FormatError(source + ": lm_head.weight differs from the embeddings but tie_word_embeddings is true");
            }
            continue;
        }
        throw FormatError(source + ": unexpected tensor " + name + " (not part of this architecture)");
    }
}

void save_checkpoint(const std::string& dir, CausalLM& model, const CharTokenizer& tokenizer) {
    ensure_writable_dir(dir);
    TensorMap tensors;
    for (const auto& p : model->named_parameters()) tensors[p.key()] = p.value();
    save_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
    write_file_atomic(dir + "/config.json", to_hf_config(model->config()).dump(2) + "\n");
    write_file_atomic(dir + "/aha_tokenizer.json", tokenizer.to_json().dump(2) + "\n");
}

CausalLM load_model(const std::string& dir) {
    const std::string config_path = dir + "/config.json";
    Json hf = load_json_file(config_path);
    TransformerConfig config = TransformerConfig::from_hf_json(hf, config_path);
    CausalLM model(config);
    const std::string weights = dir + "/model.safetensors";
    if (!file_exists(weights)) throw IoError(weights + ": not found (sharded or .bin checkpoints are not supported yet)");
    load_weights(model, load_safetensors(weights), weights);
    return model;
}

CharTokenizer load_char_tokenizer(const std::string& dir) {
    const std::string path = dir + "/aha_tokenizer.json";
    return CharTokenizer::from_json(load_json_file(path), path);
}

}  // namespace aha::policy
