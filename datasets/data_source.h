// Data sources: a dataset file (JSONL, JSON or Parquet) or a shipped preset, and how its rows become prompts
// (a string field, a chat-messages list, or a format over the row's fields) and expected answers (a field,
// possibly dotted as in verl's reward_model.ground_truth, read through an answer format). Every row keeps
// its other fields, which travel with the prompt to the reward.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"

namespace aha::datasets {

struct ChatMessage {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
};

struct DataSourceConfig {
    std::string name;              // in logs and metrics; default: the preset, else the file name's stem
    std::string preset;            // a data set shipped in datasets/data (data_source_presets()), instead of path
    std::string path;              // a .jsonl, .json or .parquet file (a preset's: in data_directory())
    std::string format = "auto";   // jsonl, json, parquet; auto = by extension
    // The prompt: a string field, or a chat-messages list [{"role", "content"}, ...] (TRL's conversational
    // format and verl's `prompt` column), by dotted key; or, when prompt_format is set, that text with each
    // {field} replaced by the row's field (strings as they are, lists of strings one per line, other
    // values as JSON).
    std::string prompt_key = "prompt";
    std::string prompt_format;
    // The expected answer: the field at answer_key (dotted) read by answer_format (answer_formats()).
    std::string answer_key = "reward_model.ground_truth";
    std::string answer_format = "text";
    std::string reward;            // the reward for this source's prompts; "" = rl.reward.name
    double weight = 1.0;           // share of the training stream, relative to the other sources
    int max_prompt_tokens = 0;     // longer rendered prompts are dropped (and counted); 0 = no limit
    std::vector<int> rows;         // [first, last] 1-based rows to keep (inclusive); empty = all
    // Rows to keep by their fields: {"level": ["Level 3", "Level 4"], "extra_info.split": "train"} keeps a
    // row whose field (dotted key) equals the value, or one of the listed values, for every key. Applied
    // after `rows`. Empty = all.
    Json where = Json::object();

    // A preset's settings, overridden by the keys given with it.
    static DataSourceConfig from_json(ConfigReader r);
    // The same without finish(), for configs that extend a source with keys of their own (eval suites).
    static DataSourceConfig read(ConfigReader& r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct AnswerFormat {
    std::string name;
    std::string description;
    // The expected answer of a row; FormatError (naming `where` and the key) when it cannot be made.
    std::string (*read)(const Json& row, const DataSourceConfig& source, const std::string& where);
};
const std::vector<AnswerFormat>& answer_formats();

struct DataSourcePreset {
    std::string name;
    std::string description;  // one line, with the origin of the file
    DataSourceConfig config;
};
const std::vector<DataSourcePreset>& data_source_presets();
std::vector<std::string> data_source_preset_names();

// Where presets' files are: $AHA_DATA_DIR when set, else the source tree's datasets/data.
std::string data_directory();

// One prompt of a source, before the prompt template.
struct Example {
    std::vector<ChatMessage> messages;  // a string prompt is one user message
    std::string answer;                 // what the verifier expects
    std::string reward;                 // the source's reward ("" = the run's)
    std::string source;                 // the source's name
    std::string where;                  // file and line or row
    std::shared_ptr<const Json> fields;  // the whole row
};

// Every kept row of the source as an Example. An empty file, a missing or mistyped key, or a row whose
// answer cannot be read is an error naming the file, the line or row, and the key.
std::vector<Example> load_examples(const DataSourceConfig& source);

}  // namespace aha::datasets
