// Dataset rows from JSONL and JSON files; Parquet is in parquet_rows.cpp. See rows.h.
#include "datasets/rows.h"

#include "core/files.h"
#include "core/strings.h"

namespace aha::datasets {

namespace {

void require_object(const Json& j, const std::string& where) {
    if (!j.is_object()) {
        throw FormatError(where + ": expected a JSON object (one row), got " + std::string(j.type_name()));
    }
}

std::vector<Row> read_jsonl_rows(const std::string& path) {
    std::vector<Row> rows;
    read_json_lines(path, [&](const Json& j, const std::string& where) {
        require_object(j, where);
        rows.push_back({j, where});
    });
    return rows;
}

std::vector<Row> read_json_rows(const std::string& path) {
    const std::string text = read_file(path);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return {};
    const Json j = load_json_file(path);
    if (!j.is_array()) {
        throw FormatError(path + ": expected a JSON array of rows (objects), got " + std::string(j.type_name()),
                          "for one object per line, name the file .jsonl or set \"format\": \"jsonl\"");
    }
    std::vector<Row> rows;
    for (size_t i = 0; i < j.size(); ++i) {
        const std::string where = path + ": item " + std::to_string(i + 1);
        require_object(j[i], where);
        rows.push_back({j[i], where});
    }
    return rows;
}

struct RowFormat {
    const char* name;
    std::vector<std::string> extensions;
    std::vector<Row> (*read)(const std::string& path);
};

const std::vector<RowFormat>& row_formats() {
    static const std::vector<RowFormat> formats = {
        {"jsonl", {".jsonl", ".ndjson"}, read_jsonl_rows},
        {"json", {".json"}, read_json_rows},
        {"parquet", {".parquet", ".pq"}, read_parquet_rows},
    };
    return formats;
}

}  // namespace

std::vector<std::string> row_format_names() {
    std::vector<std::string> names = {"auto"};
    for (const auto& f : row_formats()) names.push_back(f.name);
    return names;
}

std::string resolve_row_format(const std::string& path, const std::string& format, const std::string& key) {
    config_require_one_of(format, row_format_names(), key);
    if (format != "auto") return format;
    const std::string p = lower(path);
    for (const auto& f : row_formats()) {
        for (const auto& ext : f.extensions) {
            if (ends_with(p, ext)) return f.name;
        }
    }
    throw ConfigError(key + ": cannot tell the format of '" + path + "' from its extension",
                      "set \"format\" to one of jsonl, json, parquet");
}

std::vector<Row> read_rows(const std::string& path, const std::string& format) {
    if (!file_exists(path)) throw IoError(path + ": no such file");
    const std::string name = resolve_row_format(path, format, "format");
    for (const auto& f : row_formats()) {
        if (name == f.name) return f.read(path);
    }
    throw ConfigError("format: unknown '" + name + "'");  // unreachable: resolve_row_format checked it
}

const Json* find_field(const Json& fields, const std::string& dotted) {
    const Json* at = &fields;
    for (const std::string& part : split(dotted, '.')) {
        if (!at->is_object()) return nullptr;
        auto it = at->find(part);
        if (it == at->end()) return nullptr;
        at = &*it;
    }
    return at;
}

}  // namespace aha::datasets
