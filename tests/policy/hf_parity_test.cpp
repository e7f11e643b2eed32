// Parity with Hugging Face transformers (run by tests/policy/hf_parity.sh, which makes the reference files;
// skipped with a message when run without them).
#include <gtest/gtest.h>

#include <cstdlib>

#include "policy/checkpoint.h"
#include "tests/support/tiny_model.h"

namespace aha::policy {
namespace {

std::string parity_dir() {
    const char* d = std::getenv("AHA_PARITY_DIR");
    return d ? d : "";
}

void expect_hf_logits(const std::string& name) {
    if (parity_dir().empty()) GTEST_SKIP() << "AHA_PARITY_DIR not set; run tests/policy/hf_parity.sh";
    const std::string dir = parity_dir() + "/" + name;
    CausalLM model = load_model(dir);
    model->eval();
    TensorMap ref = load_safetensors(dir + "/reference.safetensors");
    auto valid = ref["attention_mask"].to(torch::kBool);
    torch::NoGradGuard no_grad;
    auto logits = model->forward(ref["input_ids"], positions_from_mask(valid), valid);
    // Compare real tokens only: HF's values at padding positions depend on its own masking conventions.
    auto diff = (logits - ref["logits"]).abs().amax(-1).masked_select(valid);
    EXPECT_LT(diff.max().item<float>(), 1e-4) << name;
}

TEST(HfParityTest, LlamaWithGqaAndUntiedHead) { expect_hf_logits("llama_gqa_untied"); }

TEST(HfParityTest, Qwen2WithBiasesAndTiedEmbeddings) { expect_hf_logits("qwen2_tied_bias"); }

TEST(HfParityTest, WritesACheckpointTransformersCanLoad) {
    if (parity_dir().empty()) GTEST_SKIP() << "AHA_PARITY_DIR not set; run tests/policy/hf_parity.sh";
    CausalLM model = testing::tiny_model(50, /*num_kv_heads=*/2, /*seed=*/11);
    {
        torch::NoGradGuard no_grad;
        for (auto& p : model->named_parameters()) {
            if (p.key().find("norm") != std::string::npos) p.value().uniform_(0.5, 1.5);
        }
    }
    const std::string dir = parity_dir() + "/aha_model";
    save_checkpoint(dir, model, CharTokenizer::for_alphabet("ab"));
    auto ids = torch::randint(0, 50, {2, 9}, torch::kLong);
    torch::NoGradGuard no_grad;
    auto logits = model->forward(ids, torch::arange(9).unsqueeze(0).expand({2, 9}), torch::ones_like(ids, torch::kBool));
    save_safetensors(dir + "/aha_logits.safetensors", {{"input_ids", ids}, {"logits", logits}});
}

}  // namespace
}  // namespace aha::policy
