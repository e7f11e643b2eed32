// Chat templates: the chat-template families shipped in tokenizer_config.json, recognised from the
// Jinja text and rendered in C++ for system/user/assistant turns with string content, exactly as
// transformers' apply_chat_template(messages, tokenize=False) renders them (see prompt_template.h
// for why no Jinja engine).
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "datasets/data_source.h"

namespace aha::datasets {

class ChatTemplate {
   public:
    // A known chat-template family recognised from tokenizer_config.json's "chat_template" string
    // (or the "default" entry of a list of named templates). ConfigError naming `where` (the file)
    // and listing the known families and the named prompt templates to use instead when
    // unrecognised or absent.
    static ChatTemplate from_tokenizer_config(const Json& tokenizer_config,
                                              const std::string& where);
    static std::vector<std::string> family_names();
    const std::string& family() const { return family_; }

    // As transformers' apply_chat_template(messages, tokenize=False, add_generation_prompt=...),
    // with the template's defaults (Qwen3: enable_thinking unset). FormatError for an empty list or
    // a role other than system, user or assistant.
    std::string render(const std::vector<ChatMessage>& messages,
                       bool add_generation_prompt = true) const;

   private:
    using RenderFn = std::string (*)(const std::vector<ChatMessage>&,
                                     bool,
                                     const std::string& bos_token);
    ChatTemplate(std::string family, RenderFn render, std::string bos_token)
        : family_(std::move(family)), render_(render), bos_token_(std::move(bos_token)) {}

    std::string family_;
    RenderFn render_;
    std::string bos_token_;  // "" when tokenizer_config.json has none
};

}  // namespace aha::datasets
