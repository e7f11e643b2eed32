// Prompt templates: named, documented formats plus user-supplied strings. A template is plain text with one
// placeholder, {prompt} ({question} is accepted too), so what the policy sees is visible in the config.
//
// Why no Jinja engine: the chat templates shipped in tokenizer_config.json are Jinja programs (loops over
// messages, tool calls, date functions). RL prompts here are one user turn plus the generation prompt, and
// for that each family's template renders to a fixed string around the prompt;
// tests/datasets/prompt_template_test.cpp holds transformers' apply_chat_template output for the named ones. A Jinja interpreter would be a large dependency with its
// own divergences from Python's Jinja2, for no gain on single-turn prompts.
#pragma once

#include <string>
#include <vector>

namespace aha::datasets {

struct PromptTemplate {
    std::string name;
    std::string text;         // contains the placeholder at least once
    std::string description;  // one line, for docs and --help

    std::string render(const std::string& prompt) const;
};

// `name_or_text` is a registered name, or a template string containing {prompt} (or {question}).
// ConfigError listing the valid names otherwise.
PromptTemplate prompt_template(const std::string& name_or_text);
std::vector<std::string> prompt_template_names();
const std::vector<PromptTemplate>& prompt_templates();

}  // namespace aha::datasets
