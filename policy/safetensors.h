// Reading and writing the safetensors format (8-byte little-endian header size, JSON header, raw data), the
// weights format of Hugging Face checkpoints. Every malformed file is a FormatError naming file and tensor.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

namespace aha::policy {

using TensorMap = std::map<std::string, torch::Tensor>;

// Loads every tensor of a .safetensors file (CPU, the file's dtypes).
TensorMap load_safetensors(const std::string& path);

// Writes tensors (made contiguous, moved to CPU) atomically; `metadata` goes to "__metadata__".
void save_safetensors(const std::string& path,
                      const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace aha::policy
