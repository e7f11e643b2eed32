// Paged attention: the CPU kernel against the tensor-op reference (scattered block tables, mixed
// decode and chunked-prefill sequences, grouped-query and latent layouts, fp32/bf16), and the
// packed paged forward of every attention family against the plain full forward.
#include "policy/paged_attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "policy/transformer.h"
#include "tests/support/tiny_model.h"

namespace aha::policy {
namespace {

// Sequences of the given (cached-before, new) token counts, with their blocks taken from a shuffled
// pool.
struct Layout {
    std::vector<std::vector<int32_t>> tables;
    std::vector<int64_t> num_tokens, first_position;
};

Layout scattered_layout(const std::vector<std::pair<int64_t, int64_t>>& seqs,
                        int64_t num_blocks,
                        int64_t block_size,
                        uint32_t seed) {
    std::vector<int32_t> free(static_cast<size_t>(num_blocks));
    std::iota(free.begin(), free.end(), 0);
    std::shuffle(free.begin(), free.end(), std::mt19937(seed));
    Layout l;
    for (const auto& [before, fresh] : seqs) {
        std::vector<int32_t> table;
        for (int64_t b = 0; b < (before + fresh + block_size - 1) / block_size; ++b) {
            table.push_back(free.back());
            free.pop_back();
        }
        l.tables.push_back(table);
        l.num_tokens.push_back(fresh);
        l.first_position.push_back(before);
    }
    return l;
}

void expect_kernel_matches_reference(int64_t H,
                                     int64_t Hkv,
                                     int64_t Dk,
                                     int64_t Dv,
                                     torch::ScalarType dtype,
                                     KeyLayout layout,
                                     double tolerance) {
    torch::manual_seed(1);
    const int64_t BS = 4, NB = 40;
    // Decode (1 new after 9 cached), chunked prefill (5 after 6), fresh prefill (7), a
    // block-aligned decode.
    Layout l = scattered_layout({{9, 1}, {6, 5}, {0, 7}, {7, 1}}, NB, BS, 3);
    PagedKV kv;
    kv.num_blocks = NB;
    kv.block_size = BS;
    const bool shared_rows =
        layout == KeyLayout::kRows && Dv < Dk;  // MLA: values inside the key rows
    kv.keys.push_back(layout == KeyLayout::kColumns ? torch::randn({NB, Hkv, Dk, BS}).to(dtype)
                                                    : torch::randn({NB, Hkv, BS, Dk}).to(dtype));
    kv.values.push_back(shared_rows ? kv.keys.back() : torch::randn({NB, Hkv, BS, Dv}).to(dtype));
    auto batch = PagedBatch::build(kv, l.tables, l.num_tokens, l.first_position);
    const int64_t N = batch.query_start[-1].item<int64_t>();
    auto q = torch::randn({N, H, Dk}).to(dtype);
    const double scale = 0.37;
    auto got =
        paged_attention(q, kv.keys[0], kv.values[0], Dv, batch, scale, layout).to(torch::kFloat32);
    auto want = paged_attention_reference(q.to(torch::kFloat32),
                                          kv.keys[0].to(torch::kFloat32),
                                          kv.values[0].to(torch::kFloat32),
                                          Dv,
                                          batch,
                                          scale,
                                          layout);
    ASSERT_EQ(got.sizes(), (std::vector<int64_t>{N, H, Dv}));
    EXPECT_LT((got - want).abs().max().item<double>(), tolerance);
    if (layout == KeyLayout::kColumns) {
        // The same keys stored row-wise give the same reference result.
        auto rows = kv.keys[0].to(torch::kFloat32).transpose(2, 3).contiguous();
        auto again = paged_attention_reference(q.to(torch::kFloat32),
                                               rows,
                                               kv.values[0].to(torch::kFloat32),
                                               Dv,
                                               batch,
                                               scale,
                                               KeyLayout::kRows);
        EXPECT_LT((again - want).abs().max().item<double>(), 1e-6);
    }
}

TEST(PagedAttentionTest, KernelMatchesReferenceForGroupedQueryHeads) {
    expect_kernel_matches_reference(8, 2, 16, 16, torch::kFloat32, KeyLayout::kColumns, 1e-5);
    expect_kernel_matches_reference(8, 2, 16, 16, torch::kFloat32, KeyLayout::kRows, 1e-5);
}

TEST(PagedAttentionTest, KernelMatchesReferenceForOneSharedLatentHead) {
    // MLA's absorbed layout: keys [latent | rope] of 24, values = the first 16 entries of the same
    // rows.
    expect_kernel_matches_reference(4, 1, 24, 16, torch::kFloat32, KeyLayout::kRows, 1e-5);
}

TEST(PagedAttentionTest, KernelMatchesReferenceInBfloat16) {
    expect_kernel_matches_reference(8, 2, 16, 16, torch::kBFloat16, KeyLayout::kColumns, 2e-2);
}

TEST(PagedAttentionTest, ReferenceIgnoresNaNInUnwrittenSlots) {
    PagedKV kv;
    kv.num_blocks = 4;
    kv.block_size = 4;
    kv.keys.push_back(torch::full({4, 1, 4, 8}, std::nanf("")));
    kv.values.push_back(torch::full({4, 1, 4, 8}, std::nanf("")));
    kv.keys[0].narrow(0, 2, 1).narrow(2, 0, 3).normal_();
    kv.values[0].narrow(0, 2, 1).narrow(2, 0, 3).normal_();
    auto batch = PagedBatch::build(kv, {{2}}, {1}, {2});
    auto q = torch::randn({1, 2, 8});
    EXPECT_FALSE(
        paged_attention_reference(q, kv.keys[0], kv.values[0], 8, batch, 1.0, KeyLayout::kRows)
            .isnan()
            .any()
            .item<bool>());
    EXPECT_FALSE(
        paged_attention(q, kv.keys[0], kv.values[0], 8, batch, 1.0, KeyLayout::kRows).isnan().any().item<bool>());
}

TransformerConfig hf(const std::string& json) {
    return TransformerConfig::from_hf_json(Json::parse(json), "test");
}

// Runs `ids` through forward_paged in the given chunks with a scattered block table; returns the
// logits of every position [T, V].
torch::Tensor paged_logits(CausalLM& m,
                           const std::vector<int64_t>& ids,
                           const std::vector<int64_t>& chunks) {
    const int64_t BS = 4, T = static_cast<int64_t>(ids.size());
    PagedKV kv = PagedKV::allocate(m->config(), 32, BS, torch::TensorOptions());
    Layout l = scattered_layout({{0, T}}, 32, BS, 7);
    std::vector<torch::Tensor> out;
    int64_t done = 0;
    for (int64_t n : chunks) {
        auto batch = PagedBatch::build(kv, l.tables, {n}, {done});
        torch::Tensor fresh;  // each chunk's logits in their own buffer
        auto chunk =
            torch::tensor(std::vector<int64_t>(ids.begin() + done, ids.begin() + done + n));
        out.push_back(
            m->forward_paged(chunk, torch::arange(done, done + n), batch, torch::arange(n), fresh));
        done += n;
    }
    return torch::cat(out, 0);
}

TEST(PagedAttentionTest, PagedForwardMatchesFullForwardForEveryAttentionFamily) {
    torch::NoGradGuard no_grad;
    const std::vector<TransformerConfig> configs = {
        testing::tiny_transformer_config(29),
        hf(R"({"model_type": "qwen3", "vocab_size": 29, "hidden_size": 32, "intermediate_size": 48, "head_dim": 16,
              "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1,
              "max_position_embeddings": 64})"),
        hf(R"({"model_type": "qwen2_moe", "vocab_size": 29, "hidden_size": 32, "intermediate_size": 48,
              "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "num_experts": 6,
              "num_experts_per_tok": 2, "moe_intermediate_size": 16, "shared_expert_intermediate_size": 24,
              "max_position_embeddings": 64})"),
        hf(R"({"model_type": "deepseek_v3", "vocab_size": 29, "hidden_size": 32, "intermediate_size": 48,
              "moe_intermediate_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4, "n_shared_experts": 1,
              "n_routed_experts": 8, "num_experts_per_tok": 2, "n_group": 2, "topk_group": 1,
              "first_k_dense_replace": 1, "kv_lora_rank": 16, "q_lora_rank": 12, "qk_rope_head_dim": 8,
              "qk_nope_head_dim": 8, "v_head_dim": 12, "max_position_embeddings": 64})"),
    };
    const std::vector<int64_t> ids = {3, 17, 4, 9, 9, 21, 1, 0, 5, 28, 13};
    for (const auto& c : configs) {
        SCOPED_TRACE(c.model_type);
        torch::manual_seed(2);
        CausalLM m(c);
        for (auto& p : m->parameters()) p.normal_(0.0, 0.2);
        auto input = torch::tensor(ids).unsqueeze(0);
        auto want = m->forward(
            input, torch::arange(11).unsqueeze(0), torch::ones({1, 11}, torch::kBool))[0];
        auto got = paged_logits(m, ids, {5, 3, 1, 1, 1});
        EXPECT_LT((got - want).abs().max().item<double>(), 1e-5);
    }
}

}  // namespace
}  // namespace aha::policy
