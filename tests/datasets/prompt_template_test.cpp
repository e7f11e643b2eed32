// Named prompt templates render what the families' own chat templates render for one user turn with the
// generation prompt. The expected strings are transformers 5.23 apply_chat_template output on the
// tokenizer_config.json files in tests/data/tokenizers (Qwen3, DeepSeek-V3) and Llama-3.1's documented format.
#include <gtest/gtest.h>

#include "core/error.h"
#include "datasets/prompt_template.h"

namespace aha::datasets {
namespace {

TEST(PromptTemplateTest, ChatTemplatesMatchTheFamiliesOwn) {
    EXPECT_EQ(prompt_template("qwen_chat").render("PROMPT"), "<|im_start|>user\nPROMPT<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(prompt_template("deepseek_chat").render("PROMPT"),
              "<\xEF\xBD\x9C" "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C><\xEF\xBD\x9CUser\xEF\xBD\x9C>PROMPT<\xEF\xBD\x9C"
              "Assistant\xEF\xBD\x9C>");
    EXPECT_EQ(prompt_template("llama3_chat").render("PROMPT"),
              "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nPROMPT<|eot_id|><|start_header_id|>assistant"
              "<|end_header_id|>\n\n");
    EXPECT_EQ(prompt_template("qwen_math_boxed").render("1+1?"),
              "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n"
              "<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(prompt_template("raw").render("x {y}"), "x {y}");
}

TEST(PromptTemplateTest, R1ZeroAndTinyOpenTheThinkTag) {
    EXPECT_EQ(prompt_template("tiny_r1_zero").render("?12a"), "<bos>?12a<think>");
    const std::string r1 = prompt_template("r1_zero").render("1+1");
    EXPECT_NE(r1.find("User: 1+1. Assistant: <think>"), std::string::npos);
    EXPECT_EQ(r1.substr(r1.size() - 7), "<think>");
}

TEST(PromptTemplateTest, CustomStringsAndUnknownNames) {
    EXPECT_EQ(prompt_template("Q: {prompt}\nA:").render("2+2"), "Q: 2+2\nA:");
    EXPECT_EQ(prompt_template("{question} then {prompt}").render("x"), "x then x");
    try {
        prompt_template("qwen_caht");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("valid names: r1_zero, tiny_r1_zero, qwen_chat, qwen_math_boxed, deepseek_chat, "
                                             "llama3_chat, raw, or a template string containing {prompt}"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace aha::datasets
