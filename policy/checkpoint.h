// Checkpoint directories in the Hugging Face layout: config.json (a LlamaConfig), model.safetensors, and
// aha_tokenizer.json for the char tokenizer. transformers can load the model part directly.
#pragma once

#include <string>

#include "policy/char_tokenizer.h"
#include "policy/safetensors.h"
#include "policy/transformer.h"

namespace aha::policy {

// HF config.json for a TransformerConfig (model_type llama).
Json to_hf_config(const TransformerConfig& c);

// Copies `tensors` into the model's parameters by HF name. Every parameter must be present with its
// shape; an unknown tensor is an error too (a wrong architecture). Errors name the tensor and `source`.
void load_weights(CausalLM& model, const TensorMap& tensors, const std::string& source);

// Writes config.json, model.safetensors and aha_tokenizer.json into `dir` (created if needed).
void save_checkpoint(const std::string& dir, CausalLM& model, const CharTokenizer& tokenizer);

// Reads a checkpoint directory written by save_checkpoint or by transformers (llama/qwen2, safetensors).
CausalLM load_model(const std::string& dir);
CharTokenizer load_char_tokenizer(const std::string& dir);

}  // namespace aha::policy
