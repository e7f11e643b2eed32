// Reading Hugging Face config.json files of every supported family, and the errors for what is not
// supported.
#include <gtest/gtest.h>

#include "policy/model_config.h"
#include "tests/support/error_text.h"

namespace aha::policy {
namespace {

using testing::error_of;

// Shapes of published configs (Llama-3.1-8B, Qwen3-30B-A3B, DeepSeek-V3, DeepSeek-V2-Lite), in the
// transformers-4 layout those repositories ship (rope_scaling, rope_theta at the top level).
const char* kLlama31 = R"({"model_type": "llama", "vocab_size": 128256, "hidden_size": 4096, "intermediate_size": 14336,
  "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 131072,
  "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": false, "attention_bias": false,
  "mlp_bias": false, "hidden_act": "silu", "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0,
  "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"}})";

const char* kQwen3Moe = R"({"model_type": "qwen3_moe", "vocab_size": 151936, "hidden_size": 2048,
  "intermediate_size": 6144, "num_hidden_layers": 48, "num_attention_heads": 32, "num_key_value_heads": 4,
  "head_dim": 128, "max_position_embeddings": 40960, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
  "rope_scaling": null, "num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 768,
  "norm_topk_prob": true, "decoder_sparse_step": 1, "mlp_only_layers": [], "use_sliding_window": false,
  "tie_word_embeddings": false, "attention_bias": false, "hidden_act": "silu"})";

const char* kDeepseekV3 = R"({"model_type": "deepseek_v3", "vocab_size": 129280, "hidden_size": 7168,
  "intermediate_size": 18432, "moe_intermediate_size": 2048, "num_hidden_layers": 61, "num_attention_heads": 128,
  "num_key_value_heads": 128, "n_shared_experts": 1, "n_routed_experts": 256, "routed_scaling_factor": 2.5,
  "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128,
  "topk_method": "noaux_tc", "n_group": 8, "topk_group": 4, "num_experts_per_tok": 8, "moe_layer_freq": 1,
  "first_k_dense_replace": 3, "norm_topk_prob": true, "scoring_func": "sigmoid", "hidden_act": "silu",
  "max_position_embeddings": 163840, "rms_norm_eps": 1e-06, "rope_theta": 10000, "num_nextn_predict_layers": 1,
  "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
  "original_max_position_embeddings": 4096, "type": "yarn"}, "tie_word_embeddings": false, "attention_bias": false})";

const char* kDeepseekV2Lite = R"({"model_type": "deepseek_v2", "vocab_size": 102400, "hidden_size": 2048,
  "intermediate_size": 10944, "moe_intermediate_size": 1408, "num_hidden_layers": 27, "num_attention_heads": 16,
  "num_key_value_heads": 16, "n_shared_experts": 2, "n_routed_experts": 64, "routed_scaling_factor": 1.0,
  "kv_lora_rank": 512, "q_lora_rank": null, "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128,
  "topk_method": "greedy", "n_group": 1, "topk_group": 1, "num_experts_per_tok": 6, "moe_layer_freq": 1,
  "first_k_dense_replace": 1, "norm_topk_prob": false, "scoring_func": "softmax", "max_position_embeddings": 163840,
  "rope_theta": 10000, "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707,
  "mscale_all_dim": 0.707, "original_max_position_embeddings": 4096, "type": "yarn"}, "hidden_act": "silu"})";

TransformerConfig parse(const char* text) { return TransformerConfig::from_hf_json(Json::parse(text), "config.json"); }

TEST(ModelConfigTest, ReadsLlama31WithLlama3RopeScaling) {
    auto c = parse(kLlama31);
    EXPECT_EQ(c.model_type, "llama");
    EXPECT_EQ(c.num_kv_heads, 8);
    EXPECT_EQ(c.head_dim(), 128);
    EXPECT_EQ(c.rope.type, "llama3");
    EXPECT_EQ(c.rope.original_max_position, 8192);
    EXPECT_DOUBLE_EQ(c.rope.theta, 500000.0);
    EXPECT_FALSE(c.is_moe());
}

TEST(ModelConfigTest, ReadsQwen3MoeWithExplicitHeadDim) {
    auto c = parse(kQwen3Moe);
    EXPECT_TRUE(c.qk_norm);
    EXPECT_EQ(c.head_dim(), 128);  // not hidden_size / heads = 64
    EXPECT_EQ(c.moe.num_experts, 128);
    EXPECT_EQ(c.moe.top_k, 8);
    EXPECT_TRUE(c.moe.norm_topk_prob);
    EXPECT_EQ(c.moe.shared_intermediate_size, 0);
    for (int l = 0; l < c.num_layers; ++l) EXPECT_TRUE(c.moe_layer(l)) << l;
}

TEST(ModelConfigTest, ReadsDeepseekV3RoutingAndMla) {
    auto c = parse(kDeepseekV3);
    EXPECT_TRUE(c.mla.enabled);
    EXPECT_EQ(c.mla.q_lora_rank, 1536);
    EXPECT_EQ(c.mla.qk_head_dim(), 192);
    EXPECT_EQ(c.rotary_dim(), 64);
    EXPECT_TRUE(c.rope.interleave);
    EXPECT_EQ(c.rope.type, "yarn");
    EXPECT_DOUBLE_EQ(c.rope.factor, 40);
    EXPECT_EQ(c.moe.scoring, "sigmoid");
    EXPECT_EQ(c.moe.group_score, "top2_sum");
    EXPECT_TRUE(c.moe.correction_bias);
    EXPECT_EQ(c.moe.n_group, 8);
    EXPECT_EQ(c.moe.topk_group, 4);
    EXPECT_EQ(c.moe.shared_intermediate_size, 2048);
    EXPECT_DOUBLE_EQ(c.moe.routed_scaling_factor, 2.5);
    EXPECT_FALSE(c.moe_layer(2));
    EXPECT_TRUE(c.moe_layer(3));
}

TEST(ModelConfigTest, ReadsDeepseekV2LiteWithoutQueryCompression) {
    auto c = parse(kDeepseekV2Lite);
    EXPECT_EQ(c.mla.q_lora_rank, 0);
    EXPECT_EQ(c.moe.scoring, "softmax");
    EXPECT_EQ(c.moe.n_group, 1);
    EXPECT_FALSE(c.moe.correction_bias);
    EXPECT_EQ(c.moe.shared_intermediate_size, 2 * 1408);
    EXPECT_FALSE(c.moe_layer(0));
    EXPECT_TRUE(c.moe_layer(1));
}

Json edited(const char* text, const std::string& key, const Json& value) {
    Json j = Json::parse(text);
    j[key] = value;
    return j;
}

TEST(ModelConfigTest, UnsupportedSettingsAreNamedErrors) {
    auto err = [](const Json& j) { return error_of([&] { TransformerConfig::from_hf_json(j, "m/config.json"); }); };
    EXPECT_EQ(err(edited(kLlama31, "model_type", "gpt2")),
              "m/config.json: model_type 'gpt2' is not supported; supported: llama, qwen2, qwen3, qwen2_moe, "
              "qwen3_moe, deepseek_v2, deepseek_v3");
    EXPECT_EQ(err(edited(kLlama31, "rope_scaling", Json{{"rope_type", "dynamic"}, {"factor", 2.0}})),
              "m/config.json: rope_scaling.rope_type: 'dynamic' is not supported; supported: default, linear, llama3, yarn");
    EXPECT_EQ(err(edited(kLlama31, "num_attention_heads", "32")),
              "m/config.json: num_attention_heads must be an integer, got \"32\"");
    Json missing = Json::parse(kLlama31);
    missing.erase("hidden_size");
    EXPECT_EQ(err(missing), "m/config.json: missing key hidden_size");
    EXPECT_EQ(err(edited(kQwen3Moe, "use_sliding_window", true)),
              "m/config.json: use_sliding_window: sliding-window attention is not supported");
    EXPECT_EQ(err(edited(kDeepseekV3, "topk_method", "greedy")),
              "m/config.json: topk_method: 'greedy': DeepSeek-V3 uses noaux_tc");
    EXPECT_EQ(err(edited(kDeepseekV2Lite, "topk_method", "random")),
              "m/config.json: topk_method: 'random' is not supported; expected greedy or group_limited_greedy");
    EXPECT_NE(err(edited(kDeepseekV3, "topk_group", 9)).find("topk_group: expected 1..n_group (8)"), std::string::npos);
    EXPECT_NE(err(edited(kQwen3Moe, "num_experts_per_tok", 129)).find("num_experts_per_tok: expected 1..128"),
              std::string::npos);
    Json llama3 = Json::parse(kLlama31);
    llama3["rope_scaling"].erase("low_freq_factor");
    EXPECT_EQ(err(llama3), "m/config.json: missing key rope_scaling.low_freq_factor");
}

}  // namespace
}  // namespace aha::policy
