// The transformer: HF parameter names, KV-cache decoding equal to a full forward, padding invariance,
// checkpoint round trips, and clear errors for corrupt weights.
#include "policy/transformer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "core/files.h"
#include "policy/checkpoint.h"
#include "tests/support/error_text.h"
#include "tests/support/tiny_model.h"

namespace aha::policy {
namespace {

TransformerConfig tiny_config() { return testing::tiny_transformer_config(23); }

torch::Tensor all_valid(const torch::Tensor& ids) { return torch::ones_like(ids, torch::kBool); }

TEST(TransformerTest, ParameterNamesFollowHuggingFace) {
    torch::manual_seed(0);
    TransformerConfig c = tiny_config();
    c.tie_word_embeddings = false;
    CausalLM m(c);
    std::set<std::string> names;
    for (const auto& p : m->named_parameters()) names.insert(p.key());
    for (const char* n : {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                          "model.layers.1.self_attn.o_proj.weight", "model.layers.1.mlp.gate_proj.weight",
                          "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
                          "model.norm.weight", "lm_head.weight"}) {
        EXPECT_TRUE(names.count(n)) << n;
    }
    EXPECT_EQ(names.size(), 1u + 2u * 9u + 1u + 1u);
    EXPECT_EQ(m->named_parameters()["model.layers.0.self_attn.k_proj.weight"].sizes(), (std::vector<int64_t>{16, 32}));
    EXPECT_EQ(m->named_parameters()["model.layers.0.mlp.up_proj.weight"].sizes(), (std::vector<int64_t>{64, 32}));
}

TEST(TransformerTest, IncrementalDecodingWithCacheMatchesFullForward) {
    torch::manual_seed(1);
    CausalLM m(tiny_config());
    m->eval();
    torch::NoGradGuard no_grad;
    auto ids = torch::randint(0, 23, {3, 12}, torch::kLong);
    auto pos = torch::arange(12).unsqueeze(0).expand({3, 12});
    auto full = m->forward(ids, pos, all_valid(ids));  // [3, 12, V]

    auto cache = KVCache::allocate(m->config(), 3, 16, torch::TensorOptions());
    std::vector<torch::Tensor> pieces;
    pieces.push_back(m->forward(ids.narrow(1, 0, 5), pos.narrow(1, 0, 5), all_valid(ids.narrow(1, 0, 5)), &cache));
    for (int64_t t = 5; t < 12; ++t) {
        auto one = ids.narrow(1, t, 1);
        pieces.push_back(m->forward(one, pos.narrow(1, t, 1), all_valid(one), &cache));
    }
    auto incremental = torch::cat(pieces, 1);
    EXPECT_EQ(cache.length, 12);
    EXPECT_TRUE(torch::allclose(full, incremental, 1e-5, 1e-5)) << (full - incremental).abs().max();
}

TEST(TransformerTest, LeftPaddingDoesNotChangeTheLogitsOfRealTokens) {
    torch::manual_seed(2);
    CausalLM m(tiny_config());
    torch::NoGradGuard no_grad;
    auto ids = torch::randint(3, 23, {1, 6}, torch::kLong);
    auto plain = m->forward(ids, torch::arange(6).unsqueeze(0), all_valid(ids));
    auto padded_ids = torch::cat({torch::zeros({1, 3}, torch::kLong), ids}, 1);
    auto valid = torch::cat({torch::zeros({1, 3}, torch::kBool), torch::ones({1, 6}, torch::kBool)}, 1);
    auto padded = m->forward(padded_ids, positions_from_mask(valid), valid);
    EXPECT_TRUE(torch::allclose(plain, padded.narrow(1, 3, 6), 1e-5, 1e-5));
    EXPECT_FALSE(torch::isnan(padded).any().item<bool>());
}

TEST(TransformerTest, CloneIsADeepCopy) {
    torch::manual_seed(3);
    CausalLM m(tiny_config());
    auto copy = std::dynamic_pointer_cast<CausalLMImpl>(m->clone());
    {
        torch::NoGradGuard no_grad;
        m->model->norm->weight.add_(1.0);
    }
    EXPECT_FALSE(torch::equal(m->model->norm->weight, copy->model->norm->weight));
    EXPECT_EQ(m->num_parameters(), copy->num_parameters());
}

class CheckpointTest : public ::testing::Test {
 protected:
    std::string dir_ = "/tmp/aha_checkpoint_test_" + std::to_string(::getpid());
    void TearDown() override { remove_tree(dir_); }
};

TEST_F(CheckpointTest, SaveThenLoadGivesTheSameModel) {
    torch::manual_seed(4);
    CausalLM m(tiny_config());
    save_checkpoint(dir_, m, CharTokenizer::for_alphabet("ab"));
    CausalLM back = load_model(dir_);
    auto a = m->named_parameters(), b = back->named_parameters();
    ASSERT_EQ(a.size(), b.size());
    for (const auto& p : a) EXPECT_TRUE(torch::equal(p.value(), b[p.key()])) << p.key();
    // The char vocabulary is written as tokenizer.json + tokenizer_config.json + generation_config.json,
    // which read back as any checkpoint's text side and encode and decode as the char tokenizer does.
    const CharTokenizer chars = CharTokenizer::for_alphabet("ab");
    tokenizer::ModelText text = tokenizer::ModelText::load(dir_);
    EXPECT_EQ(text.vocab_size(), 9);
    EXPECT_EQ(text.eos_ids, std::vector<int>{chars.eos_id()});
    EXPECT_EQ(text.pad_id, chars.pad_id());
    EXPECT_EQ(text.bos_token, "<bos>");
    const std::string s = "<bos>ab<think>ba</think><answer>a</answer>";
    EXPECT_EQ(text.encode(s), chars.encode(s));
    std::vector<int> ids = chars.encode(s + "<eos><pad>");
    EXPECT_EQ(text.decode(ids), chars.decode(std::vector<int>(ids.begin(), ids.end() - 2)));
}

using testing::error_of;

TEST_F(CheckpointTest, CorruptOrMismatchedWeightsNameTheProblem) {
    torch::manual_seed(5);
    CausalLM m(tiny_config());
    save_checkpoint(dir_, m, CharTokenizer::for_alphabet("ab"));
    const std::string weights = dir_ + "/model.safetensors";

    TensorMap tensors = load_safetensors(weights);
    tensors.erase("model.norm.weight");
    EXPECT_EQ(error_of([&] { load_weights(m, tensors, "w"); }), "w: missing tensor model.norm.weight");
    tensors = load_safetensors(weights);
    tensors["model.norm.weight"] = torch::ones({5});
    EXPECT_NE(error_of([&] { load_weights(m, tensors, "w"); }).find("model.norm.weight has shape [5]"), std::string::npos);
    tensors = load_safetensors(weights);
    tensors["model.layers.7.mlp.up_proj.weight"] = torch::ones({1});
    EXPECT_NE(error_of([&] { load_weights(m, tensors, "w"); }).find("unexpected tensor model.layers.7"), std::string::npos);

    // Truncate the file: the loader must say so rather than read past the end.
    auto size = read_file(weights).size();
    ASSERT_EQ(::truncate(weights.c_str(), static_cast<off_t>(size - 100)), 0);
    EXPECT_NE(error_of([&] { load_safetensors(weights); }).find("outside the data section"), std::string::npos);
    std::ofstream(weights, std::ios::trunc) << "garbage";
    EXPECT_NE(error_of([&] { load_safetensors(weights); }).find("too short"), std::string::npos);
    std::ofstream(weights, std::ios::trunc) << std::string("\x10\0\0\0\0\0\0\0{not json}xxxxxx", 24);
    EXPECT_NE(error_of([&] { load_safetensors(weights); }).find("not valid JSON"), std::string::npos);
    ::unlink((dir_ + "/config.json").c_str());
    EXPECT_NE(error_of([&] { load_model(dir_); }).find("config.json: cannot open"), std::string::npos);
}

}  // namespace
}  // namespace aha::policy
