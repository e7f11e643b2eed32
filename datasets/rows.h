// Dataset files as rows of JSON: JSON Lines, JSON (an array of objects) and Apache Parquet (read with the
// Arrow/Parquet C++ library), so every data source reads the same way whatever its format. Each row keeps
// where it came from ("train.jsonl:12", "train.parquet: row 3") for the error messages that name it.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace aha::datasets {

struct Row {
    Json fields;        // an object: column -> value (nested lists and structs as JSON arrays and objects)
    std::string where;  // "path:line" (JSONL), "path: item i" (JSON) or "path: row i" (Parquet), 1-based
};

// "jsonl", "json" or "parquet"; "auto" chooses by extension (.jsonl/.ndjson, .json, .parquet/.pq). An
// unknown extension with "auto" is a ConfigError naming `key` and the formats.
std::string resolve_row_format(const std::string& path, const std::string& format, const std::string& key);
std::vector<std::string> row_format_names();  // "auto" and the formats

// Every row of the file, in file order. A line that is not JSON, a row that is not an object, a file that
// is not Parquet, a column type with no JSON form, or invalid UTF-8 is a FormatError naming the file and
// the line or row; a file that cannot be opened is an IoError. An empty file gives no rows (callers decide
// whether that is an error).
std::vector<Row> read_rows(const std::string& path, const std::string& format = "auto");

// Parquet alone (datasets/parquet_rows.cpp, the only file that sees Arrow's headers).
std::vector<Row> read_parquet_rows(const std::string& path);

// Looks up a dotted path ("reward_model.ground_truth") in a row; nullptr when any part is missing.
const Json* find_field(const Json& fields, const std::string& dotted);

}  // namespace aha::datasets
