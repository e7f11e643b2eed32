// Strict JSON configs: every component reads its own plain struct through a ConfigReader, which rejects
// unknown keys and wrong types, naming the JSON path ("rl.loss.clip_hihg: unknown key; did you mean ...").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace aha {

using Json = nlohmann::json;

// Reads one JSON object of a config and remembers which keys it knows, so finish() can reject the rest.
class ConfigReader {
 public:
    // `path` is the dotted location of `object` in the whole config ("" for the root).
    ConfigReader(const Json& object, std::string path);

    // Reads `key` into `out` when present (leaving the default otherwise). Throws ConfigError on a wrong type.
    ConfigReader& read(const std::string& key, bool& out);
    ConfigReader& read(const std::string& key, int& out);
    ConfigReader& read(const std::string& key, int64_t& out);
    ConfigReader& read(const std::string& key, double& out);
    ConfigReader& read(const std::string& key, std::string& out);
    ConfigReader& read(const std::string& key, std::vector<int>& out);
    ConfigReader& read(const std::string& key, std::vector<std::string>& out);
    // A number, or null for none.
    ConfigReader& read(const std::string& key, std::optional<double>& out);
    // Any JSON value, as it is (the caller's validate() checks its shape).
    ConfigReader& read(const std::string& key, Json& out);

    // A nested object (an empty one when absent); the key counts as known.
    ConfigReader child(const std::string& key);
    // A list of objects (none when absent), each read at "<path>.key[i]"; ConfigError unless a list of objects.
    std::vector<ConfigReader> children(const std::string& key);

    // Throws ConfigError for the first key that no read()/child() asked for, suggesting the closest known key.
    void finish() const;

    // "rl.loss.clip" for key "clip" of reader at "rl.loss".
    std::string path_of(const std::string& key) const;

 private:
    const Json* find(const std::string& key);

    const Json& object_;
    std::string path_;
    std::set<std::string> known_;
};

// Throws ConfigError("<path>: <what>") unless `ok`; for validate() range checks.
void config_require(bool ok, const std::string& path, const std::string& what);

// Throws ConfigError("<path>: unknown '<value>'; valid names: a, b") unless `value` is one of `valid`; for
// every catalogue chosen by name (advantages, losses, rewards, ...).
void config_require_one_of(const std::string& value, const std::vector<std::string>& valid, const std::string& path);

// Parses a JSON file; a syntax error names file:line:column.
Json load_json_file(const std::string& path);

// Calls fn(object, "path:line") for each non-blank line of a JSONL file (a trailing \r dropped); a line
// that is not JSON is a FormatError naming path:line.
void read_json_lines(const std::string& path, const std::function<void(const Json&, const std::string&)>& fn);

// Loads a config file that may extend another: a top-level "extends": "base.json" (relative to this
// file's folder) loads the base first, recursively, and merges this file over it: objects merge key by
// key, any other value replaces the base's, and null removes the base's key (RFC 7386 merge patch).
// A cycle or a base that cannot be read is an error naming the chain of files.
Json load_config_file(const std::string& path);

// Merges `patch` over `target` as load_config_file does.
void merge_patch(Json& target, const Json& patch);

// Applies one "--set a.b.c=value" override: value is parsed as JSON when it is valid JSON, else taken as a
// string. Intermediate objects are created; a number after a list picks its element (data.train.0.path);
// unknown keys are caught later by the component's from_json.
void apply_override(Json& root, const std::string& assignment);

}  // namespace aha
