// Checkpoint directories in the Hugging Face layout: config.json, model.safetensors (or shards
// model-0000i-of-0000n.safetensors with model.safetensors.index.json), and the text side (tokenizer.json,
// tokenizer_config.json, generation_config.json). What aha writes, transformers and vLLM load directly, and the other way round.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/char_tokenizer.h"
#include "policy/safetensors.h"
#include "policy/transformer.h"

namespace aha::policy {

// One tensor of the Hugging Face checkpoint and the model storage it maps to: a parameter, a buffer, or a
// slice of a stacked expert tensor (model.layers.3.mlp.experts.7.up_proj.weight).
struct HfTensor {
    std::string name;
    torch::Tensor target;
};
std::vector<HfTensor> hf_tensors(CausalLM& model);

// Every tensor of a checkpoint directory: model.safetensors, or the shards listed by
// model.safetensors.index.json (each must hold exactly the tensors the index assigns to it). Memory-mapped.
TensorMap load_checkpoint_tensors(const std::string& dir);

// Copies `tensors` into the model by HF name, casting to the model's dtype. Every model tensor must be
// present with its shape; an unknown tensor is an error too (a wrong architecture). Errors name the tensor
// and `source`. DeepSeek-V3's multi-token-prediction layers (beyond num_hidden_layers) are skipped.
void load_weights(CausalLM& model, const TensorMap& tensors, const std::string& source);

// "auto" (the checkpoint's own dtype), "float32", "bfloat16" or "float16".
torch::ScalarType parse_dtype(const std::string& name, const std::string& where);
std::string dtype_to_hf(torch::ScalarType t);

// Reads a HF checkpoint directory (any supported model_type) in `dtype` ("auto": as stored).
CausalLM load_model(const std::string& dir, const std::string& dtype = "auto");
CharTokenizer load_char_tokenizer(const std::string& dir);

constexpr int64_t kDefaultMaxShardBytes = int64_t{5} << 30;  // 5 GiB, transformers' default

// Writes config.json and the weights (sharded with an index above max_shard_bytes) into `dir`.
void save_hf_model(const std::string& dir, CausalLM& model, int64_t max_shard_bytes = kDefaultMaxShardBytes);

// save_hf_model plus the char-level vocabulary as tokenizer.json, tokenizer_config.json and
// generation_config.json (CharTokenizer::to_hf_tokenizer_json): transformers loads the directory as any other.
void save_checkpoint(const std::string& dir, CausalLM& model, const CharTokenizer& tokenizer);

// `aha export`: loads a checkpoint directory and writes it as a HF directory in `dtype` ("auto" keeps it),
// copying the tokenizer and generation files next to it.
void export_checkpoint(const std::string& src,
                       const std::string& out,
                       const std::string& dtype = "auto",
                       int64_t max_shard_bytes = kDefaultMaxShardBytes);

// Copies the tokenizer and generation files that exist in `src` (tokenizer.json, tokenizer_config.json,
// special_tokens_map.json, generation_config.json, vocab.json, merges.txt, chat_template.jinja) into `out`.
void copy_text_side(const std::string& src, const std::string& out);

// "5GB", "500MB", "40KB", or a plain byte count.
int64_t parse_byte_size(const std::string& text, const std::string& where);

}  // namespace aha::policy
