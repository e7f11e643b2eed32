// Paged KV cache and attention over block tables, for the rollout engine (rollout/engine.h).
//
// The cache of every layer is a pool of fixed-size blocks; a sequence owns a list of block ids (its
// block table), and blocks can be shared between sequences (the n samples of one prompt share the
// prompt's). A step runs the tokens of many sequences packed into one row: token t of sequence s
// writes its key/value to its slot and attends to the first `context_len[s] - n_s + j + 1`
// positions of s (j = its index among the n_s tokens s contributes this step), read through the
// block table without gathering the cache.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "policy/model_config.h"

namespace aha::policy {

// How keys sit inside a block: one row per position ([.., block_size, Dk]), or one row per key
// dimension ([.., Dk, block_size]), which lets the CPU kernel score a whole block with vector
// multiply-adds. PagedKV::key_layout says which a pool uses; the attention layers pass it on.
enum class KeyLayout { kRows, kColumns };

// Per layer: keys [num_blocks, Hkv, Dk, block_size] (KeyLayout::kColumns), values
// [num_blocks, Hkv, block_size, Dv]. MLA caches one row per position, [normalised latent | rotated
// key] (Hkv = 1, Dk = kv_lora_rank + qk_rope_head_dim; KeyLayout::kRows), and reads its values from
// the first kv_lora_rank entries of the same row (values[l] is keys[l]).
struct PagedKV {
    std::vector<torch::Tensor> keys;
    std::vector<torch::Tensor> values;
    int64_t num_blocks = 0;
    int64_t block_size = 0;
    KeyLayout key_layout = KeyLayout::kColumns;

    // Pools are allocated uninitialised: memory is committed as blocks are first written.
    static PagedKV allocate(const TransformerConfig& c,
                            int64_t num_blocks,
                            int64_t block_size,
                            torch::TensorOptions o);
    static int64_t bytes_per_block(const TransformerConfig& c,
                                   int64_t block_size,
                                   torch::ScalarType dtype);
    // Copies whole blocks src[i] -> dst[i] in every layer (copy-on-write of a shared block).
    void copy_blocks(const std::vector<int32_t>& src, const std::vector<int32_t>& dst);
};

// One step's packed batch: S sequences contributing N tokens in total.
struct PagedBatch {
    PagedKV* kv = nullptr;
    torch::Tensor slot_block;   // [N] int64: block id each token's key/value is written to
    torch::Tensor slot_offset;  // [N] int64: position inside that block
    torch::Tensor query_start;  // [S + 1] int64, CPU: tokens of sequence s are [query_start[s],
                                // query_start[s+1])
    torch::Tensor context_len;  // [S] int64, CPU: positions of s in the cache after this step
    torch::Tensor
        block_tables;  // [S, max_blocks] int32, CPU: block ids of each sequence (unused entries 0)

    // Builds the tensors from per-sequence block tables, the number of tokens each sequence
    // contributes and the position of its first one.
    static PagedBatch build(PagedKV& kv,
                            const std::vector<std::vector<int32_t>>& tables,
                            const std::vector<int64_t>& num_tokens,
                            const std::vector<int64_t>& first_position);
};

// q [N, H, Dk] -> [N, H, v_dim]. k_pool/v_pool as in PagedKV, keys in `layout` (v_dim <=
// v_pool.size(-1): the first v_dim entries of each value row are read). Causal within each sequence
// as described above; softmax(q.k * scale). CPU: a fused kernel that reads each block in place
// (fp32 accumulation, online softmax, the query heads of one KV head share each read). Other
// devices: paged_attention_reference.
torch::Tensor paged_attention(const torch::Tensor& q,
                              const torch::Tensor& k_pool,
                              const torch::Tensor& v_pool,
                              int64_t v_dim,
                              const PagedBatch& batch,
                              double scale,
                              KeyLayout layout);

// The same with tensor ops only (gathers each sequence's blocks, then scaled_dot_product_attention
// with a mask): any device; the CPU kernel's reference in tests.
torch::Tensor paged_attention_reference(const torch::Tensor& q,
                                        const torch::Tensor& k_pool,
                                        const torch::Tensor& v_pool,
                                        int64_t v_dim,
                                        const PagedBatch& batch,
                                        double scale,
                                        KeyLayout layout);

}  // namespace aha::policy
