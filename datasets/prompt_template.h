// Prompt templates by name. "r1_zero" is the DeepSeek-R1-Zero template for pretrained language models;
// "tiny_r1_zero" adapts it to a tiny model that cannot read instructions: the question and the opening
// <think> tag, after which the model must reason, close </think> and answer in <answer> </answer>.
#pragma once

#include <string>
#include <vector>

namespace aha::datasets {

struct PromptTemplate {
    std::string name;
    std::string text;  // contains "{question}" exactly once

    std::string render(const std::string& question) const;
};

// The template registered under `name`; ConfigError listing the valid names otherwise.
PromptTemplate prompt_template(const std::string& name);
std::vector<std::string> prompt_template_names();

}  // namespace aha::datasets
