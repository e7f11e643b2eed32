// Chat templates render exactly what transformers' apply_chat_template renders on the real
// tokenizer_config.json files in tests/data/tokenizers (and on the generic ChatML template and
// TRL's copy of the later Qwen3 template revision, when TRL is installed in .venv); the expected
// strings are written by scripts/ref/chat_template_ref.py into
// tests/data/chat_templates/expected.json.
#include "datasets/chat_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

#include "core/config.h"
#include "core/error.h"

namespace aha::datasets {
namespace {

const std::string kRoot = std::string(AHA_SOURCE_DIR) + "/";

std::string error_of(const Json& config, const std::string& where) {
    try {
        ChatTemplate::from_tokenizer_config(config, where);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

// A file of a package installed in the project's .venv ("" when there is none).
std::string installed_python_file(const std::string& relative) {
    std::error_code ec;
    for (const auto& lib : std::filesystem::directory_iterator(kRoot + ".venv/lib", ec)) {
        const std::filesystem::path path = lib.path() / "site-packages" / relative;
        if (std::filesystem::exists(path)) return path.string();
    }
    return "";
}

TEST(ChatTemplateTest, RendersAsTransformersOnRealTokenizerConfigs) {
    const Json expected = load_json_file(kRoot + "tests/data/chat_templates/expected.json");
    std::set<std::string> seen;
    for (const Json& family : expected.at("families")) {
        const std::string name = family.at("family");
        Json config;
        std::string where = name;
        if (family.contains("tokenizer_config")) {
            where = kRoot + family.at("tokenizer_config").get<std::string>();
            config = load_json_file(where);
        } else if (family.contains("chat_template_file")) {
            where = installed_python_file(family.at("chat_template_file"));
            if (where.empty()) {
                std::cout << "skipping " << family.at("chat_template_file")
                          << ": not installed in .venv\n";
                continue;
            }
            std::ifstream in(where);
            config = {{"chat_template", std::string(std::istreambuf_iterator<char>(in), {})}};
        } else {
            config = {{"chat_template", family.at("chat_template")}};
        }
        const ChatTemplate tmpl = ChatTemplate::from_tokenizer_config(config, where);
        EXPECT_EQ(tmpl.family(), name) << where;
        seen.insert(name);
        for (const Json& c : family.at("cases")) {
            std::vector<ChatMessage> messages;
            for (const Json& m : c.at("messages"))
                messages.push_back({m.at("role"), m.at("content")});
            EXPECT_EQ(tmpl.render(messages, c.at("add_generation_prompt").get<bool>()),
                      c.at("text").get<std::string>())
                << name << " / " << c.at("name").get<std::string>();
        }
    }
    const std::vector<std::string> names = ChatTemplate::family_names();
    EXPECT_EQ(seen, std::set<std::string>(names.begin(), names.end()));
}

TEST(ChatTemplateTest, BosTokenMayBeAStringNullOrAddedToken) {
    Json config = load_json_file(kRoot + "tests/data/tokenizers/deepseek_v3/tokenizer_config.json");
    const std::vector<ChatMessage> messages = {{"user", "Hi"}};
    config["bos_token"] = "<s>";
    EXPECT_EQ(ChatTemplate::from_tokenizer_config(config, "x").render(messages).substr(0, 5),
              "<s><\xEF");
    config["bos_token"] = nullptr;
    EXPECT_EQ(ChatTemplate::from_tokenizer_config(config, "x").render(messages).substr(0, 3),
              "<\xEF\xBD");
    config["bos_token"] = 3;
    EXPECT_NE(error_of(config, "x.json").find("x.json: bos_token"), std::string::npos);
}

TEST(ChatTemplateTest, UnrecognisedOrMissingTemplateNamesTheFileAndTheChoices) {
    const std::string where = "models/m/tokenizer_config.json";
    for (const Json& config : {Json{{"chat_template", "{{ messages[0]['content'] }}"}},
                               Json{{"bos_token", "<s>"}},
                               Json{{"chat_template", nullptr}}}) {
        const std::string what = error_of(config, where);
        EXPECT_EQ(what.rfind(where + ": ", 0), 0u) << what;
        EXPECT_NE(what.find("qwen2_5, qwen3, deepseek_v3, chatml"), std::string::npos) << what;
        EXPECT_NE(what.find("qwen_chat"), std::string::npos) << what;
        EXPECT_NE(what.find("r1_zero"), std::string::npos) << what;
    }
    // A revised Qwen3 template that prefills <think> is not rendered as Qwen3.
    Json qwen3 = load_json_file(kRoot + "tests/data/tokenizers/qwen3/tokenizer_config.json");
    std::string text = qwen3.at("chat_template");
    const std::string prompt = "{{- '<|im_start|>assistant\\n' }}";
    text.replace(text.rfind(prompt), prompt.size(), "{{- '<|im_start|>assistant\\n<think>\\n' }}");
    qwen3["chat_template"] = text;
    EXPECT_NE(error_of(qwen3, where).find("not one this build can render"), std::string::npos);
}

TEST(ChatTemplateTest, RejectsOtherRolesAndEmptyConversations) {
    const Json config = load_json_file(kRoot + "tests/data/tokenizers/qwen3/tokenizer_config.json");
    const ChatTemplate tmpl = ChatTemplate::from_tokenizer_config(config, "qwen3");
    EXPECT_THROW(tmpl.render({{"user", "Hi"}, {"tool", "42"}}), FormatError);
    EXPECT_THROW(tmpl.render({}), FormatError);
    try {
        tmpl.render({{"user", "Hi"}, {"tool", "42"}});
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "message 1 has role 'tool'; expected system, user or assistant"),
                  std::string::npos);
    }
}

}  // namespace
}  // namespace aha::datasets
