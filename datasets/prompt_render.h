// How an example's messages become the text the policy is prompted with: a named or custom prompt template
// (one user turn: {prompt} is the user message), or "chat": the checkpoint's own chat template (a known
// family's, recognised from tokenizer_config.json) with an optional system prompt.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "datasets/chat_template.h"
#include "datasets/data_source.h"
#include "datasets/prompt_template.h"

namespace aha::datasets {

class PromptRenderer {
 public:
    // `name` is prompt_template's value; `tokenizer_config` is the checkpoint's tokenizer_config.json (only
    // "chat" reads it) and `where` names that file for errors. A system prompt needs "chat".
    PromptRenderer(const std::string& name, const std::string& system_prompt, const Json& tokenizer_config,
                   const std::string& where);

    // The prompt text of `e`. A named template takes one user message: a row with a system or assistant
    // message is a FormatError naming the row (use "chat").
    std::string render(const Example& e) const;
    bool is_chat() const { return chat_.has_value(); }
    std::string describe() const;  // "chat (qwen2_5)" or the template's name

 private:
    std::optional<PromptTemplate> named_;
    std::optional<ChatTemplate> chat_;
    std::string system_prompt_;
};

}  // namespace aha::datasets
