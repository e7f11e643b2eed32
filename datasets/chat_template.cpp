// Chat-template families; see chat_template.h. Each family is recognised by markers that pin the
// parts of its Jinja text that the renderer below reproduces, so a revised template (a new default
// system prompt, a prefilled <think>) is rejected rather than rendered wrongly.
#include "datasets/chat_template.h"

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/prompt_template.h"

namespace aha::datasets {
namespace {

const char kImStart[] = "<|im_start|>";
const char kImEnd[] = "<|im_end|>\n";

std::string chatml_turn(const ChatMessage& m) {
    return kImStart + m.role + "\n" + m.content + kImEnd;
}

std::string lstrip_newlines(const std::string& s) {
    const size_t b = s.find_first_not_of('\n');
    return b == std::string::npos ? "" : s.substr(b);
}

std::string rstrip_newlines(const std::string& s) {
    const size_t e = s.find_last_not_of('\n');
    return e == std::string::npos ? "" : s.substr(0, e + 1);
}

bool starts_with(const std::string& s, const std::string& p) {
    return s.compare(0, p.size(), p) == 0;
}

bool ends_with(const std::string& s, const std::string& p) {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// The generic ChatML template: every turn as is, no default system prompt.
std::string render_chatml(const std::vector<ChatMessage>& messages,
                          bool add_generation_prompt,
                          const std::string&) {
    std::string out;
    for (const ChatMessage& m : messages) out += chatml_turn(m);
    if (add_generation_prompt) out += "<|im_start|>assistant\n";
    return out;
}

// Qwen2.5 (Instruct, Coder): ChatML with a default system turn when the first message is not a
// system one.
std::string render_qwen2_5(const std::vector<ChatMessage>& messages,
                           bool add_generation_prompt,
                           const std::string&) {
    std::string out =
        messages[0].role == "system"
            ? chatml_turn(messages[0])
            : "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
              "assistant.<|im_end|>\n";
    for (size_t i = messages[0].role == "system" ? 1 : 0; i < messages.size(); ++i)
        out += chatml_turn(messages[i]);
    if (add_generation_prompt) out += "<|im_start|>assistant\n";
    return out;
}

// Qwen3: ChatML without a default system turn. An assistant turn's reasoning ("<think>..</think>"
// in its content) is kept only after the last real user query (a user turn wrapped in
// <tool_response> does not count); earlier turns keep only the text after </think>. A final
// assistant turn after that query always gets a think block, empty when it had no reasoning.
std::string render_qwen3(const std::vector<ChatMessage>& messages,
                         bool add_generation_prompt,
                         const std::string&) {
    const size_t n = messages.size();
    size_t last_query = n - 1;
    for (size_t i = n; i-- > 0;) {
        const std::string& c = messages[i].content;
        if (messages[i].role == "user" &&
            !(starts_with(c, "<tool_response>") && ends_with(c, "</tool_response>"))) {
            last_query = i;
            break;
        }
    }
    std::string out = messages[0].role == "system" ? chatml_turn(messages[0]) : "";
    for (size_t i = 0; i < n; ++i) {
        const ChatMessage& m = messages[i];
        if (m.role != "assistant") {
            if (i > 0 || m.role != "system") out += chatml_turn(m);
            continue;
        }
        std::string content = m.content;
        std::string reasoning;
        const size_t first_close = m.content.find("</think>");
        if (first_close != std::string::npos) {
            content = lstrip_newlines(m.content.substr(m.content.rfind("</think>") + 8));
            const std::string before = rstrip_newlines(m.content.substr(0, first_close));
            const size_t open = before.rfind("<think>");
            reasoning =
                lstrip_newlines(open == std::string::npos ? before : before.substr(open + 7));
        }
        out += "<|im_start|>assistant\n";
        if (i > last_query && (i + 1 == n || !reasoning.empty())) {
            out += "<think>\n" + rstrip_newlines(lstrip_newlines(reasoning)) + "\n</think>\n\n" +
                   lstrip_newlines(content);
        } else {
            out += content;
        }
        out += kImEnd;
    }
    if (add_generation_prompt) out += "<|im_start|>assistant\n";
    return out;
}

// DeepSeek-V3: BOS, then every system message joined by a blank line, then the turns; system
// messages take no place of their own among the turns.
std::string render_deepseek_v3(const std::vector<ChatMessage>& messages,
                               bool add_generation_prompt,
                               const std::string& bos_token) {
    const std::string user = "<\xEF\xBD\x9CUser\xEF\xBD\x9C>";
    const std::string assistant =
        "<\xEF\xBD\x9C"
        "Assistant\xEF\xBD\x9C>";
    const std::string eos =
        "<\xEF\xBD\x9C"
        "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
    std::string system;
    bool first_system = true;
    for (const ChatMessage& m : messages) {
        if (m.role != "system") continue;
        system += (first_system ? "" : "\n\n") + m.content;
        first_system = false;
    }
    std::string out = bos_token + system;
    for (const ChatMessage& m : messages) {
        if (m.role == "user") out += user + m.content;
        if (m.role == "assistant") out += assistant + m.content + eos;
    }
    if (add_generation_prompt) out += assistant;
    return out;
}

struct Family {
    const char* name;
    // All must occur in the template (compared by normalise()); "a OR b" is either spelling.
    std::vector<std::string> markers;
    std::vector<std::string> forbidden;  // none may occur
    bool exact;                          // the single marker is the whole template
    std::string (*render)(const std::vector<ChatMessage>&, bool, const std::string&);
};

const std::vector<Family>& families() {
    static const std::vector<Family> kFamilies = {
        {"qwen2_5",
         {"'<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
          "assistant.<|im_end|>\\n'",
          "{%- if messages[0]['role'] == 'system' %} {{- '<|im_start|>system\\n' + "
          "messages[0]['content'] + "
          "'<|im_end|>\\n' }}",
          "(message.role == \"user\") or (message.role == \"system\" and not loop.first) or "
          "(message.role == "
          "\"assistant\" and not message.tool_calls)",
          "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}",
          "{%- if add_generation_prompt %} {{- '<|im_start|>assistant\\n' }} {%- endif %}"},
         {"</think>"},
         false,
         render_qwen2_5},
        {"qwen3",
         {"{%- if messages[0].role == 'system' %} {{- '<|im_start|>system\\n' + "
          "messages[0].content + "
          "'<|im_end|>\\n' }} {%- endif %} {%- endif %}",
          "not(message.content.startswith('<tool_response>') and "
          "message.content.endswith('</tool_response>'))",
          "(message.role == \"user\") or (message.role == \"system\" and not loop.first)",
          // The later revision (as TRL ships it) first sets content to message.content when it is a
          // string.
          "{%- set content = message.content.split('</think>')[-1].lstrip('\\n') %}"
          " OR {%- set content = content.split('</think>')[-1].lstrip('\\n') %}",
          "{%- set reasoning_content = "
          "message.content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}"
          " OR {%- set reasoning_content = "
          "content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}",
          "{%- if loop.index0 > ns.last_query_index %} {%- if loop.last or (not loop.last and "
          "reasoning_content) %}",
          "{{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + "
          "'\\n</think>\\n\\n' + content.lstrip('\\n') }}",
          "{%- if add_generation_prompt %} {{- '<|im_start|>assistant\\n' }} {%- if "
          "enable_thinking is defined and "
          "enable_thinking is false %} {{- '<think>\\n\\n</think>\\n\\n' }} {%- endif %} {%- endif "
          "%}"},
         {},
         false,
         render_qwen3},
        {"deepseek_v3",
         {"{%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] "
          "%}{% set "
          "ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.system_prompt + '\n\n' "
          "+ "
          "message['content'] %}",
          "{{bos_token}}{{ns.system_prompt}}",
          "{{'<\xEF\xBD\x9CUser\xEF\xBD\x9C>' + message['content']}}",
          "{{'<\xEF\xBD\x9C"
          "Assistant\xEF\xBD\x9C>' + message['content'] + "
          "'<\xEF\xBD\x9C"
          "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>'}}",
          "{% if add_generation_prompt and not ns.is_tool %}{{'<\xEF\xBD\x9C"
          "Assistant\xEF\xBD\x9C>'}}{% endif %}"},
         {"</think>"},
         false,
         render_deepseek_v3},
        // Only the ChatML template of transformers' docs, whole: looser markers would also match
        // templates that add a default system prompt (Qwen2.5-Math) or prefill <think>.
        {"chatml",
         {"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
          "message['content'] + "
          "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
          "'<|im_start|>assistant\\n' }}{% "
          "endif %}"},
         {},
         true,
         render_chatml},
    };
    return kFamilies;
}

// The template without whitespace outside string literals, so that re-indented revisions still
// match.
std::string normalise(const std::string& text) {
    std::string out;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quote) {
            out += c;
            if (c == '\\' && i + 1 < text.size()) {
                out += text[++i];
            } else if (c == quote) {
                quote = 0;
            }
        } else if (c == '\'' || c == '"') {
            quote = c;
            out += c;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            out += c;
        }
    }
    return out;
}

bool matches(const Family& family, const std::string& normalised) {
    if (family.exact) return normalised == normalise(family.markers[0]);
    for (const std::string& marker : family.markers) {
        bool found = false;
        for (size_t b = 0; b <= marker.size() && !found;) {
            const size_t e = std::min(marker.find(" OR ", b), marker.size());
            found = normalised.find(normalise(marker.substr(b, e - b))) != std::string::npos;
            b = e + 4;
        }
        if (!found) return false;
    }
    for (const std::string& f : family.forbidden) {
        if (normalised.find(f) != std::string::npos) return false;
    }
    return true;
}

std::string choices() {
    return "known chat-template families: " + join(ChatTemplate::family_names(), ", ") +
           "; or set a named prompt template instead: " + join(prompt_template_names(), ", ");
}

// The chat_template string: a string, or the "default" entry of a list of {"name", "template"}.
const Json* template_text(const Json& config) {
    const auto it = config.find("chat_template");
    if (it == config.end()) return nullptr;
    if (it->is_string()) return &*it;
    if (!it->is_array()) return nullptr;
    for (const Json& entry : *it) {
        if (entry.is_object() && entry.value("name", Json()) == "default" &&
            entry.contains("template") && entry["template"].is_string()) {
            return &entry["template"];
        }
    }
    return nullptr;
}

std::string bos_token_of(const Json& config, const std::string& where) {
    const auto it = config.find("bos_token");
    if (it == config.end() || it->is_null()) return "";
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
        return (*it)["content"].get<std::string>();
    }
    throw ConfigError(
        where + ": bos_token: expected a string, null or {\"content\": string}, got " + it->dump());
}

}  // namespace

ChatTemplate ChatTemplate::from_tokenizer_config(const Json& tokenizer_config,
                                                 const std::string& where) {
    const Json* text = tokenizer_config.is_object() ? template_text(tokenizer_config) : nullptr;
    if (text == nullptr) throw ConfigError(where + ": no chat_template string; " + choices());
    const std::string normalised = normalise(text->get<std::string>());
    for (const Family& family : families()) {
        if (matches(family, normalised)) {
            return ChatTemplate(family.name, family.render, bos_token_of(tokenizer_config, where));
        }
    }
    throw ConfigError(where + ": chat_template is not one this build can render; " + choices());
}

std::vector<std::string> ChatTemplate::family_names() {
    std::vector<std::string> names;
    for (const Family& family : families()) names.push_back(family.name);
    return names;
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt) const {
    if (messages.empty()) throw FormatError("chat template " + family_ + ": no messages to render");
    for (size_t i = 0; i < messages.size(); ++i) {
        const std::string& role = messages[i].role;
        if (role != "system" && role != "user" && role != "assistant") {
            throw FormatError("chat template " + family_ + ": message " + std::to_string(i) +
                              " has role '" + role + "'; expected system, user or assistant");
        }
    }
    return render_(messages, add_generation_prompt, bos_token_);
}

}  // namespace aha::datasets
