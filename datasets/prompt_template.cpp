// Prompt templates; see prompt_template.h.
#include "datasets/prompt_template.h"

#include "core/error.h"
#include "core/strings.h"

namespace aha::datasets {

const std::vector<PromptTemplate>& prompt_templates() {
    static const std::vector<PromptTemplate> kTemplates = {
        {"r1_zero",
         "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
         "The assistant first thinks about the reasoning process in the mind and then provides the user with "
         "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> "
         "</answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here "
         "</answer>. User: {prompt}. Assistant: <think>",
         "DeepSeek-R1-Zero's template for base models: think/answer tags, the reply opened with <think>"},
        {"tiny_r1_zero", "<bos>{prompt}<think>", "BOS, the question and an opening <think> (the tiny char-level demo)"},
        {"qwen_chat", "<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n",
         "ChatML, one user turn and the generation prompt (Qwen3's template; Qwen2.5's adds a default system turn)"},
        {"qwen_math_boxed",
         "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n"
         "<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n",
         "Qwen2.5-Math chain-of-thought: ChatML with the step-by-step, \\boxed{} system instruction"},
        {"deepseek_chat", "<\xEF\xBD\x9C" "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C><\xEF\xBD\x9CUser\xEF\xBD\x9C>{prompt}"
                          "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>",
         "DeepSeek-V3: BOS, <\xEF\xBD\x9CUser\xEF\xBD\x9C> turn, <\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C> generation prompt"},
        {"llama3_chat",
         "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|>"
         "<|start_header_id|>assistant<|end_header_id|>\n\n",
         "Llama-3 instruct: one user turn and the assistant header (no default system turn)"},
        {"raw", "{prompt}", "the prompt as is"},
    };
    return kTemplates;
}

namespace {

bool has_placeholder(const std::string& text) {
    return text.find("{prompt}") != std::string::npos || text.find("{question}") != std::string::npos;
}

}  // namespace

std::string PromptTemplate::render(const std::string& prompt) const {
    std::string out;
    out.reserve(text.size() + prompt.size());
    for (size_t i = 0; i < text.size();) {
        if (text.compare(i, 8, "{prompt}") == 0) {
            out += prompt;
            i += 8;
        } else if (text.compare(i, 10, "{question}") == 0) {
            out += prompt;
            i += 10;
        } else {
            out += text[i++];
        }
    }
    return out;
}

std::vector<std::string> prompt_template_names() {
    std::vector<std::string> names;
    for (const auto& t : prompt_templates()) names.push_back(t.name);
    return names;
}

PromptTemplate prompt_template(const std::string& name_or_text) {
    for (const auto& t : prompt_templates()) {
        if (t.name == name_or_text) return t;
    }
    if (has_placeholder(name_or_text)) return {"custom", name_or_text, "user-supplied template"};
    throw ConfigError("prompt template '" + name_or_text + "': unknown; valid names: " + join(prompt_template_names()) +
                      ", or a template string containing {prompt}");
}

}  // namespace aha::datasets
