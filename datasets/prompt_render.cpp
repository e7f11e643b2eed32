// Prompt rendering; see prompt_render.h.
#include "datasets/prompt_render.h"

#include "core/error.h"

namespace aha::datasets {

PromptRenderer::PromptRenderer(const std::string& name, const std::string& system_prompt, const Json& tokenizer_config,
                               const std::string& where)
    : system_prompt_(system_prompt) {
    if (name == "chat") {
        chat_ = ChatTemplate::from_tokenizer_config(tokenizer_config, where);
        return;
    }
    named_ = prompt_template(name);
    if (!system_prompt.empty()) {
        throw ConfigError("system_prompt: only prompt_template \"chat\" takes a system prompt (prompt_template is '" + name + "')",
                          "write the instruction into the template, or use \"prompt_template\": \"chat\"");
    }
}

std::string PromptRenderer::render(const Example& e) const {
    if (chat_) {
        std::vector<ChatMessage> messages;
        const bool has_system = !e.messages.empty() && e.messages.front().role == "system";
        if (!system_prompt_.empty() && !has_system) messages.push_back({"system", system_prompt_});
        messages.insert(messages.end(), e.messages.begin(), e.messages.end());
        return chat_->render(messages, /*add_generation_prompt=*/true);
    }
    if (e.messages.size() != 1 || e.messages.front().role != "user") {
        throw FormatError(e.where + ": prompt template '" + named_->name + "' renders one user message; this row has " +
                              std::to_string(e.messages.size()) + " messages (" + e.messages.front().role + " first)",
                          "use \"prompt_template\": \"chat\" for conversations");
    }
    return named_->render(e.messages.front().content);
}

std::string PromptRenderer::describe() const { return chat_ ? "chat (" + chat_->family() + ")" : named_->name; }

}  // namespace aha::datasets
