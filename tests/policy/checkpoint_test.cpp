// Sharded checkpoints, dtype handling and the errors for inconsistent shard indexes.
#include <gtest/gtest.h>

#include <unistd.h>

#include "core/files.h"
#include "policy/checkpoint.h"
#include "tests/support/error_text.h"
#include "tests/support/tiny_model.h"

namespace aha::policy {
namespace {

using testing::error_of;

class ShardedCheckpointTest : public ::testing::Test {
 protected:
    std::string dir_ = "/tmp/aha_sharded_test_" + std::to_string(::getpid());
    void SetUp() override {
        torch::manual_seed(8);
        model_ = testing::tiny_model(30);
        save_hf_model(dir_, model_, /*max_shard_bytes=*/20000);
    }
    void TearDown() override { remove_tree(dir_); }
    Json index() { return load_json_file(dir_ + "/model.safetensors.index.json"); }
    void write_index(const Json& j) { write_file_atomic(dir_ + "/model.safetensors.index.json", j.dump()); }
    CausalLM model_{nullptr};
};

TEST_F(ShardedCheckpointTest, ShardsReloadToTheSameModel) {
    ASSERT_FALSE(file_exists(dir_ + "/model.safetensors"));
    Json j = index();
    EXPECT_GT(j["metadata"]["total_size"].get<int64_t>(), 20000);
    std::set<std::string> files;
    for (const auto& item : j["weight_map"].items()) files.insert(item.value().get<std::string>());
    EXPECT_GT(files.size(), 2u);
    CausalLM back = load_model(dir_);
    for (const auto& p : model_->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), back->named_parameters()[p.key()]));
    // Saving again unsharded removes the index, so the directory is never ambiguous.
    save_hf_model(dir_, model_);
    EXPECT_TRUE(file_exists(dir_ + "/model.safetensors"));
    EXPECT_FALSE(file_exists(dir_ + "/model.safetensors.index.json"));
}

TEST_F(ShardedCheckpointTest, InconsistentIndexesAreNamedErrors) {
    const Json original = index();
    Json j = original;
    const std::string file = j["weight_map"]["model.norm.weight"].get<std::string>();
    j["weight_map"]["model.extra.weight"] = file;
    write_index(j);
    EXPECT_EQ(error_of([&] { load_checkpoint_tensors(dir_); }),
              dir_ + "/" + file + ": missing tensor model.extra.weight (listed in " + dir_ + "/model.safetensors.index.json)");
    j = original;
    j["weight_map"].erase("model.norm.weight");
    write_index(j);
    EXPECT_EQ(error_of([&] { load_checkpoint_tensors(dir_); }),
              dir_ + "/" + file + ": tensor model.norm.weight is not listed in " + dir_ + "/model.safetensors.index.json");
    j = original;
    j["weight_map"]["model.norm.weight"] = "../elsewhere.safetensors";
    write_index(j);
    EXPECT_NE(error_of([&] { load_checkpoint_tensors(dir_); }).find("is not a file in this directory"), std::string::npos);
    j = original;
    j["weight_map"]["model.norm.weight"] = "model-99999-of-99999.safetensors";
    write_index(j);
    EXPECT_NE(error_of([&] { load_checkpoint_tensors(dir_); }).find("model-99999-of-99999.safetensors: not found (listed in "),
              std::string::npos);
}

TEST_F(ShardedCheckpointTest, LoadsInTheRequestedDtype) {
    CausalLM bf16 = load_model(dir_, "bfloat16");
    for (const auto& p : bf16->parameters()) EXPECT_EQ(p.scalar_type(), torch::kBFloat16);
    save_hf_model(dir_, bf16);
    EXPECT_EQ(load_json_file(dir_ + "/config.json")["torch_dtype"], "bfloat16");
    CausalLM back = load_model(dir_);  // auto: as stored
    EXPECT_EQ(back->parameters().front().scalar_type(), torch::kBFloat16);
    EXPECT_NE(error_of([&] { load_model(dir_, "int4"); }).find("dtype 'int4' is not supported"), std::string::npos);
}

TEST(ByteSizeTest, ParsesUnits) {
    EXPECT_EQ(parse_byte_size("5GB", "s"), 5000000000);
    EXPECT_EQ(parse_byte_size("500MB", "s"), 500000000);
    EXPECT_EQ(parse_byte_size("2GiB", "s"), int64_t{2} << 30);
    EXPECT_EQ(parse_byte_size("40kb", "s"), 40000);
    EXPECT_EQ(parse_byte_size("1234", "s"), 1234);
    EXPECT_EQ(error_of([] { parse_byte_size("5 lots", "--max-shard-size"); }),
              "--max-shard-size: '5 lots' is not a size; expected e.g. 5GB, 500MB or a byte count");
}

}  // namespace
}  // namespace aha::policy
