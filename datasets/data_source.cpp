// Data sources, their presets and answer formats; see data_source.h.
#include "datasets/data_source.h"

#include <algorithm>
#include <cstdlib>

#include "core/config_fields.h"
#include "core/files.h"
#include "core/log.h"
#include "core/strings.h"
#include "datasets/rows.h"

#ifndef AHA_DATASETS_DIR
#define AHA_DATASETS_DIR "datasets/data"
#endif

namespace aha::datasets {

namespace {

std::string field_text(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

const Json& required_field(const Json& row, const std::string& key, const std::string& where) {
    const Json* v = find_field(row, key);
    if (v == nullptr || v->is_null()) {
        std::vector<std::string> keys;
        for (const auto& [k, unused] : row.items()) keys.push_back(k);
        throw FormatError(where + ": no field '" + key + "' (the row has: " + join(keys) + ")",
                          "set the source's key to one of the row's fields");
    }
    return *v;
}

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string answer_text(const Json& row, const DataSourceConfig& c, const std::string& where) {
    const Json& v = required_field(row, c.answer_key, where);
    if (!v.is_string() && !v.is_number() && !v.is_boolean() && !v.is_object() && !v.is_array()) {
        throw FormatError(where + ": field '" + c.answer_key + "' is " + v.type_name() + "; expected an answer");
    }
    return field_text(v);
}

std::string string_field(const Json& row, const std::string& key, const std::string& where) {
    const Json& v = required_field(row, key, where);
    if (!v.is_string()) {
        throw FormatError(where + ": field '" + key + "' is " + std::string(v.type_name()) + "; expected a string");
    }
    return v.get<std::string>();
}

// GSM8K: the solution ends "#### 1,234"; the gold is what follows the last ####, without thousands commas.
std::string gsm8k_answer(const Json& row, const DataSourceConfig& c, const std::string& where) {
    const std::string text = string_field(row, c.answer_key, where);
    const size_t at = text.rfind("####");
    if (at == std::string::npos) {
        throw FormatError(where + ": field '" + c.answer_key + "' has no '#### answer' line (answer_format gsm8k)");
    }
    std::string out;
    for (char ch : trim(text.substr(at + 4))) {
        if (ch != ',') out += ch;
    }
    if (out.empty()) throw FormatError(where + ": field '" + c.answer_key + "': nothing after '####'");
    return out;
}

// MATH: the gold is the content of the solution's last \boxed{...} (or \fbox{...}), braces balanced.
std::string boxed_answer(const Json& row, const DataSourceConfig& c, const std::string& where) {
    const std::string text = string_field(row, c.answer_key, where);
    size_t at = std::string::npos;
    for (const char* macro : {"\\boxed{", "\\fbox{"}) {
        const size_t p = text.rfind(macro);
        if (p != std::string::npos && (at == std::string::npos || p > at)) at = p + std::string(macro).size();
    }
    if (at != std::string::npos) {
        int depth = 1;
        for (size_t i = at; i < text.size(); ++i) {
            if (text[i] == '{') ++depth;
            if (text[i] == '}' && --depth == 0) return text.substr(at, i - at);
        }
    }
    throw FormatError(where + ": field '" + c.answer_key + "' has no complete \\boxed{...} (answer_format boxed)");
}

std::vector<std::string> string_list(const Json& v, const std::string& key, const std::string& where) {
    if (v.is_string()) return {v.get<std::string>()};
    if (!v.is_array()) throw FormatError(where + ": field '" + key + "' is " + std::string(v.type_name()) + "; expected strings");
    std::vector<std::string> out;
    for (const auto& x : v) {
        if (!x.is_string()) throw FormatError(where + ": field '" + key + "' holds a " + std::string(x.type_name()) + "; expected strings");
        out.push_back(x.get<std::string>());
    }
    return out;
}

// MBPP: assert statements (answer_key, default test_list) with the row's test_setup_code, for the code reward.
std::string mbpp_tests(const Json& row, const DataSourceConfig& c, const std::string& where) {
    Json tests = {{"test_code", string_list(required_field(row, c.answer_key, where), c.answer_key, where)}};
    const Json* setup = find_field(row, "test_setup_code");
    if (setup != nullptr && setup->is_string() && !setup->get<std::string>().empty()) tests["setup_code"] = *setup;
    return Json{{"tests", tests}}.dump();
}

// HumanEval: the check() program (answer_key, default test) called with the row's entry_point.
std::string humaneval_tests(const Json& row, const DataSourceConfig& c, const std::string& where) {
    return Json{{"tests", {{"test_code", string_field(row, c.answer_key, where)},
                           {"entry_point", string_field(row, "entry_point", where)}}}}.dump();
}

std::vector<ChatMessage> prompt_messages(const Json& v, const std::string& key, const std::string& where) {
    if (v.is_string()) return {{"user", v.get<std::string>()}};
    if (!v.is_array() || v.empty()) {
        throw FormatError(where + ": field '" + key + "' is " + std::string(v.type_name()) +
                          (v.is_array() ? " (empty)" : "") + "; expected a string or a list of {\"role\", \"content\"} messages");
    }
    std::vector<ChatMessage> out;
    for (size_t i = 0; i < v.size(); ++i) {
        const Json& m = v[i];
        const std::string at = where + ": " + key + "[" + std::to_string(i) + "]";
        if (!m.is_object() || !m.contains("role") || !m.contains("content") || !m["role"].is_string() ||
            !m["content"].is_string()) {
            throw FormatError(at + ": expected {\"role\": string, \"content\": string}");
        }
        const std::string role = m["role"].get<std::string>();
        config_require_one_of(role, {"system", "user", "assistant"}, at + ".role");
        out.push_back({role, m["content"].get<std::string>()});
    }
    return out;
}

// prompt_format: "{question}\nPlease reason..." with {dotted.field} from the row.
std::string format_prompt(const std::string& format, const Json& row, const std::string& where) {
    std::string out;
    for (size_t i = 0; i < format.size();) {
        const size_t close = format[i] == '{' ? format.find('}', i) : std::string::npos;
        const std::string key = close == std::string::npos ? "" : format.substr(i + 1, close - i - 1);
        const bool is_field = !key.empty() && key.find_first_of(" \n{\\") == std::string::npos;
        if (!is_field) {
            out += format[i++];
            continue;
        }
        const Json& v = required_field(row, key, where);
        if (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_string(); })) {
            out += join(string_list(v, key, where), "\n");
        } else {
            out += field_text(v);
        }
        i = close + 1;
    }
    return out;
}

std::string stem(const std::string& path) {
    std::string base = path.substr(path.find_last_of('/') + 1);
    return base.substr(0, base.find('.'));
}

}  // namespace

const std::vector<AnswerFormat>& answer_formats() {
    static const std::vector<AnswerFormat> formats = {
        {"text", "the field as text (non-strings as JSON, e.g. verl's countdown {\"numbers\", \"target\"})", answer_text},
        {"gsm8k", "what follows the last '####' of a GSM8K solution, thousands commas removed", gsm8k_answer},
        {"boxed", "the last \\boxed{...} of a MATH solution", boxed_answer},
        {"mbpp_tests", "MBPP's assert list (and test_setup_code) as the code reward's tests", mbpp_tests},
        {"humaneval_tests", "HumanEval's check() program and entry_point as the code reward's tests", humaneval_tests},
    };
    return formats;
}

namespace {

const std::string kBoxedInstruction = "\nPlease reason step by step, and put your final answer within \\boxed{}.";

DataSourceConfig preset(std::string path, std::string prompt_key, std::string prompt_format, std::string answer_key,
                        std::string answer_format, std::string reward, std::vector<int> rows = {}) {
    DataSourceConfig c;
    c.path = std::move(path);
    c.prompt_key = std::move(prompt_key);
    c.prompt_format = std::move(prompt_format);
    c.answer_key = std::move(answer_key);
    c.answer_format = std::move(answer_format);
    c.reward = std::move(reward);
    c.rows = std::move(rows);
    return c;
}

}  // namespace

const std::vector<DataSourcePreset>& data_source_presets() {
    static const std::vector<DataSourcePreset> presets = [] {
        const std::string mbpp_prompt =
            "{text}\nYour code should pass these tests:\n{test_list}\nWrite the Python function in a ```python code block.";
        const std::string humaneval_prompt =
            "Complete the following Python function. Reply with the whole function, imports included, in a "
            "```python code block.\n```python\n{prompt}```";
        const std::string countdown_prompt =
            "Using the numbers {nums}, create an equation that equals {target}. You can use basic arithmetic operations "
            "(+, -, *, /) and each number can only be used once. Show your work in <think> </think> tags. And return the "
            "final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.";
        std::vector<DataSourcePreset> p = {
            {"gsm8k", "GSM8K train, 7,473 problems (openai/grade-school-math)",
             preset("gsm8k_train.jsonl", "", "{question}" + kBoxedInstruction, "answer", "gsm8k", "math")},
            {"gsm8k_test", "GSM8K test, 1,319 problems (openai/grade-school-math)",
             preset("gsm8k_test.jsonl", "", "{question}" + kBoxedInstruction, "answer", "gsm8k", "math")},
            {"math", "MATH train, 7,500 problems in verl's parquet layout (answers only)",
             preset("math_train.parquet", "prompt", "", "reward_model.ground_truth", "text", "math")},
            {"math_test", "MATH test, 5,000 problems (hendrycks/math; the gold is the solution's last \\boxed{})",
             preset("math_test.jsonl", "", "{problem}" + kBoxedInstruction, "solution", "boxed", "math")},
            {"math500", "MATH-500 (Lightman et al. 2023), 500 test problems",
             preset("math500_test.jsonl", "", "{problem}" + kBoxedInstruction, "answer", "text", "math")},
            {"aime24", "AIME 2024 I and II, 30 problems",
             preset("aime24_test.jsonl", "", "{problem}" + kBoxedInstruction, "answer", "text", "math")},
            {"aime25", "AIME 2025 I and II, 30 problems",
             preset("aime25_test.jsonl", "", "{problem}" + kBoxedInstruction, "answer", "text", "math")},
            {"amc23", "AMC 2023, 40 problems",
             preset("amc23_test.jsonl", "", "{problem}" + kBoxedInstruction, "answer", "text", "math")},
            {"mbpp", "MBPP train split (tasks 601-974), with their assert tests",
             preset("mbpp.jsonl", "", mbpp_prompt, "test_list", "mbpp_tests", "code", {601, 974})},
            {"mbpp_test", "MBPP test split (tasks 11-510)",
             preset("mbpp.jsonl", "", mbpp_prompt, "test_list", "mbpp_tests", "code", {11, 510})},
            {"humaneval", "HumanEval, 164 problems with their check() programs",
             preset("humaneval.jsonl", "", humaneval_prompt, "test", "humaneval_tests", "code")},
            // The files' own prompt column is templated already (base-model text in train, Qwen ChatML in
            // test); the presets ask TinyZero's question from the numbers and target so any template fits.
            {"countdown", "Countdown (TinyZero), the first 10,000 training tasks of Countdown-Tasks-3to4 (verl parquet)",
             preset("countdown_train.parquet", "", countdown_prompt, "reward_model.ground_truth", "text", "countdown")},
            {"countdown_test", "Countdown (TinyZero) test split, 1,024 tasks (verl parquet)",
             preset("countdown_test.parquet", "", countdown_prompt, "reward_model.ground_truth", "text", "countdown")},
        };
        for (auto& x : p) x.config.name = x.name;
        return p;
    }();
    return presets;
}

std::vector<std::string> data_source_preset_names() {
    std::vector<std::string> names;
    for (const auto& p : data_source_presets()) names.push_back(p.name);
    return names;
}

std::string data_directory() {
    const char* env = std::getenv("AHA_DATA_DIR");
    return env != nullptr && *env != '\0' ? env : AHA_DATASETS_DIR;
}

DataSourceConfig DataSourceConfig::from_json(ConfigReader r) {
    DataSourceConfig c = read(r);
    r.finish();
    return c;
}

namespace {

std::vector<std::string> answer_format_names() {
    std::vector<std::string> names;
    for (const auto& f : answer_formats()) names.push_back(f.name);
    return names;
}

bool is_scalar(const Json& v) { return v.is_string() || v.is_number() || v.is_boolean(); }

std::string where_problem(const Json& where) {
    const char* expected = "expected an object of field: value or field: [values] (strings, numbers or booleans)";
    if (!where.is_object()) return expected;
    for (const auto& [key, want] : where.items()) {
        const bool ok = is_scalar(want) || (want.is_array() && !want.empty() &&
                                            std::all_of(want.begin(), want.end(), [](const Json& v) { return is_scalar(v); }));
        if (key.empty() || !ok) return std::string(expected) + "; got " + Json{{key, want}}.dump();
    }
    return "";
}

// Whether the row's fields match every key of `where`; a row without one of the fields is an error (a
// filter on a field the data does not have is a mistake in the config).
bool row_matches(const Json& row, const Json& where, const std::string& at) {
    for (const auto& [key, want] : where.items()) {
        const Json& have = required_field(row, key, at);
        const bool hit = want.is_array() ? std::find(want.begin(), want.end(), have) != want.end() : have == want;
        if (!hit) return false;
    }
    return true;
}

// Every key but "preset", which is read first (its settings are the defaults of the others).
const ConfigFields<DataSourceConfig>& source_fields() {
    static const ConfigFields<DataSourceConfig> f = {
        field("name", &DataSourceConfig::name),
        field("path", &DataSourceConfig::path,
              non_empty("expected \"path\" (a .jsonl, .json or .parquet file) or \"preset\" (one of " +
                        join(data_source_preset_names()) + ")")),
        field("format", &DataSourceConfig::format, one_of(row_format_names())),
        field("prompt_key", &DataSourceConfig::prompt_key),
        field("prompt_format", &DataSourceConfig::prompt_format),
        field("answer_key", &DataSourceConfig::answer_key, non_empty("expected a field name")),
        field("answer_format", &DataSourceConfig::answer_format, one_of(answer_format_names())),
        field("reward", &DataSourceConfig::reward),
        field("weight", &DataSourceConfig::weight, greater_than(0.0)),
        field("max_prompt_tokens", &DataSourceConfig::max_prompt_tokens, at_least(0, " (0 = no limit)")),
        field("where", &DataSourceConfig::where, ValueCheck<Json>(where_problem)),
        field("rows", &DataSourceConfig::rows, ValueCheck<std::vector<int>>([](const std::vector<int>& v) {
                  return v.empty() || (v.size() == 2 && v[0] >= 1 && v[1] >= v[0]) ? ""
                                                                                  : "expected [first, last] with 1 <= first <= last";
              })),
    };
    return f;
}

}  // namespace

DataSourceConfig DataSourceConfig::read(ConfigReader& r) {
    DataSourceConfig c;
    std::string preset_name;
    r.read("preset", preset_name);
    if (!preset_name.empty()) {
        config_require_one_of(preset_name, data_source_preset_names(), r.path_of("preset"));
        for (const auto& p : data_source_presets()) {
            if (p.name == preset_name) c = p.config;
        }
        c.preset = preset_name;
    }
    const std::string preset_path = c.path;
    read_fields(source_fields(), r, c);
    if (!c.preset.empty() && c.path == preset_path) c.path = data_directory() + "/" + c.path;
    if (c.name.empty()) c.name = stem(c.path);
    return c;
}

Json DataSourceConfig::to_json() const {
    Json j = {{"preset", preset}};
    write_fields(source_fields(), *this, j);
    return j;
}

void DataSourceConfig::validate(const std::string& key) const {
    check_fields(source_fields(), *this, key);
    resolve_row_format(path, format, key + ".format");
    config_require(!prompt_key.empty() || !prompt_format.empty(), key + ".prompt_key", "expected a field name (or a prompt_format)");
}

std::vector<Example> load_examples(const DataSourceConfig& source) {
    const std::string& file = source.path;
    std::vector<Row> rows = read_rows(file, source.format);
    if (rows.empty()) throw FormatError(file + ": no rows (an empty file)", "data source '" + source.name + "'");
    size_t first = 0, last = rows.size();
    if (!source.rows.empty()) {
        first = static_cast<size_t>(source.rows[0] - 1);
        last = std::min(rows.size(), static_cast<size_t>(source.rows[1]));
        if (first >= rows.size()) {
            throw FormatError(file + ": rows [" + std::to_string(source.rows[0]) + ", " + std::to_string(source.rows[1]) +
                              "] start after its last row " + std::to_string(rows.size()));
        }
    }
    const AnswerFormat* format = nullptr;
    for (const auto& f : answer_formats()) {
        if (f.name == source.answer_format) format = &f;
    }
    std::vector<Example> out;
    out.reserve(last - first);
    for (size_t i = first; i < last; ++i) {
        Row& row = rows[i];
        if (!source.where.empty() && !row_matches(row.fields, source.where, row.where)) continue;
        Example e;
        e.messages = source.prompt_format.empty()
                         ? prompt_messages(required_field(row.fields, source.prompt_key, row.where), source.prompt_key, row.where)
                         : std::vector<ChatMessage>{{"user", format_prompt(source.prompt_format, row.fields, row.where)}};
        e.answer = format->read(row.fields, source, row.where);
        e.reward = source.reward;
        e.source = source.name;
        e.where = row.where;
        e.fields = std::make_shared<const Json>(std::move(row.fields));
        out.push_back(std::move(e));
    }
    if (!source.where.empty()) {
        if (out.empty()) {
            throw FormatError(file + ": none of its " + std::to_string(last - first) + " rows match where " + source.where.dump(),
                              "data source '" + source.name + "'");
        }
        log_info(source.name + ": " + std::to_string(out.size()) + " of " + std::to_string(last - first) + " rows match where " +
                 source.where.dump());
    }
    return out;
}

}  // namespace aha::datasets
