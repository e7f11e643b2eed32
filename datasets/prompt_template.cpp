// Prompt templates by name; see prompt_template.h.
#include "datasets/prompt_template.h"

#include "core/error.h"
#include "core/strings.h"

namespace aha::datasets {

namespace {

const std::vector<PromptTemplate>& templates() {
    static const std::vector<PromptTemplate> kTemplates = {
        {"r1_zero",
         "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
         "The assistant first thinks about the reasoning process in the mind and then provides the user with "
         "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> "
         "</answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here "
         "</answer>. User: {question}. Assistant: <think>"},
        {"tiny_r1_zero", "{question}<think>"},
    };
    return kTemplates;
}

}  // namespace

std::string PromptTemplate::render(const std::string& question) const {
    std::string out = text;
    auto pos = out.find("{question}");
    out.replace(pos, 10, question);
    return out;
}

std::vector<std::string> prompt_template_names() {
    std::vector<std::string> names;
    for (const auto& t : templates()) names.push_back(t.name);
    return names;
}

PromptTemplate prompt_template(const std::string& name) {
    for (const auto& t : templates()) {
        if (t.name == name) return t;
    }
    throw ConfigError("prompt template '" + name + "': unknown; valid names: " + join(prompt_template_names()));
}

}  // namespace aha::datasets
