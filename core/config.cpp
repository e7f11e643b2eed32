// Strict JSON config reading; see config.h.
#include "core/config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/strings.h"

namespace aha {

namespace {

const char* type_name(const Json& j) {
    switch (j.type()) {
        case Json::value_t::null: return "null";
        case Json::value_t::boolean: return "a boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned: return "an integer";
        case Json::value_t::number_float: return "a number";
        case Json::value_t::string: return "a string";
        case Json::value_t::array: return "an array";
        case Json::value_t::object: return "an object";
        default: return "an unsupported value";
    }
}

[[noreturn]] void wrong_type(const std::string& path, const char* expected, const Json& got) {
    throw ConfigError(path + ": expected " + expected + ", got " + type_name(got) + " (" + got.dump() + ")");
}

int64_t as_integer(const std::string& path, const Json& v) {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number_unsigned()) return static_cast<int64_t>(v.get<uint64_t>());
    wrong_type(path, "an integer", v);
}

}  // namespace

ConfigReader::ConfigReader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_.is_object() && !object_.is_null()) {
        wrong_type(path_.empty() ? "config" : path_, "an object", object_);
    }
}

std::string ConfigReader::path_of(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
}

const Json* ConfigReader::find(const std::string& key) {
    known_.insert(key);
    if (!object_.is_object()) return nullptr;
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
}

ConfigReader& ConfigReader::read(const std::string& key, bool& out) {
    if (const Json* v = find(key)) {
        if (!v->is_boolean()) wrong_type(path_of(key), "a boolean", *v);
        out = v->get<bool>();
    }
    return *this;
}

ConfigReader& ConfigReader::read(const std::string& key, int64_t& out) {
    if (const Json* v = find(key)) out = as_integer(path_of(key), *v);
    return *this;
}

ConfigReader& ConfigReader::read(const std::string& key, int& out) {
    if (const Json* v = find(key)) {
        int64_t x = as_integer(path_of(key), *v);
        config_require(x >= INT32_MIN && x <= INT32_MAX, path_of(key), "integer out of range");
        out = static_cast<int>(x);
    }
    return *this;
}

ConfigReader& ConfigReader::read(const std::string& key, double& out) {
    if (const Json* v = find(key)) {
        if (!v->is_number()) wrong_type(path_of(key), "a number", *v);
        out = v->get<double>();
    }
    return *this;
}

ConfigReader& ConfigReader::read(const std::string& key, std::string& out) {
    if (const Json* v = find(key)) {
        if (!v->is_string()) wrong_type(path_of(key), "a string", *v);
        out = v->get<std::string>();
    }
    return *this;
}

ConfigReader& ConfigReader::read(const std::string& key, std::vector<int>& out) {
    if (const Json* v = find(key)) {
        if (!v->is_array()) wrong_type(path_of(key), "an array of integers", *v);
        std::vector<int> values;
        for (size_t i = 0; i < v->size(); ++i) {
            int64_t x = as_integer(path_of(key) + "[" + std::to_string(i) + "]", (*v)[i]);
            values.push_back(static_cast<int>(x));
        }
        out = std::move(values);
    }
    return *this;
}

ConfigReader& ConfigReader::read(const std::string& key, std::vector<std::string>& out) {
    if (const Json* v = find(key)) {
        if (!v->is_array()) wrong_type(path_of(key), "an array of strings", *v);
        std::vector<std::string> values;
        for (size_t i = 0; i < v->size(); ++i) {
            if (!(*v)[i].is_string()) wrong_type(path_of(key) + "[" + std::to_string(i) + "]", "a string", (*v)[i]);
            values.push_back((*v)[i].get<std::string>());
        }
        out = std::move(values);
    }
    return *this;
}

ConfigReader& ConfigReader::read(const std::string& key, std::optional<double>& out) {
    if (const Json* v = find(key)) {
        if (!v->is_number() && !v->is_null()) wrong_type(path_of(key), "a number or null", *v);
        out = v->is_null() ? std::nullopt : std::optional<double>(v->get<double>());
    }
    return *this;
}

ConfigReader& ConfigReader::read(const std::string& key, Json& out) {
    if (const Json* v = find(key)) out = *v;
    return *this;
}

ConfigReader ConfigReader::child(const std::string& key) {
    static const Json kEmpty = Json::object();
    const Json* v = find(key);
    return ConfigReader(v ? *v : kEmpty, path_of(key));
}

std::vector<ConfigReader> ConfigReader::children(const std::string& key) {
    std::vector<ConfigReader> out;
    const Json* v = find(key);
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_array()) wrong_type(path_of(key), "a list of objects", *v);
    for (size_t i = 0; i < v->size(); ++i) {
        const std::string at = path_of(key) + "[" + std::to_string(i) + "]";
        if (!(*v)[i].is_object()) wrong_type(at, "an object", (*v)[i]);
        out.emplace_back((*v)[i], at);
    }
    return out;
}

void ConfigReader::finish() const {
    if (!object_.is_object()) return;
    for (const auto& item : object_.items()) {
        if (known_.count(item.key())) continue;
        std::vector<std::string> names(known_.begin(), known_.end());
        std::string msg = path_of(item.key()) + ": unknown key";
        std::string guess = closest_match(item.key(), names);
        if (!guess.empty()) msg += "; did you mean " + guess + "?";
        throw ConfigError(msg, "valid keys here: " + join(names));
    }
}

void config_require(bool ok, const std::string& path, const std::string& what) {
    if (!ok) throw ConfigError(path + ": " + what);
}

void config_require_one_of(const std::string& value, const std::vector<std::string>& valid, const std::string& path) {
    for (const auto& v : valid) {
        if (v == value) return;
    }
    throw ConfigError(path + ": unknown '" + value + "'; valid names: " + join(valid));
}

void read_json_lines(const std::string& path, const std::function<void(const Json&, const std::string&)>& fn) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open for reading");
    std::string line;
    for (size_t number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const std::string where = path + ":" + std::to_string(number);
        Json j;
        try {
            j = Json::parse(line);
        } catch (const Json::exception& e) {
            throw FormatError(where + ": not a JSON line (" + std::string(e.what()) + ")");
        }
        fn(j, where);
    }
}

Json load_json_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open for reading");
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& e) {
        size_t line = 1, col = 1;
        for (size_t i = 0; i < text.size() && i + 1 < e.byte; ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        std::string what = e.what();
        auto pos = what.find("syntax error");
        if (pos != std::string::npos) what = what.substr(pos);
        throw FormatError(path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": invalid JSON: " +
                          what);
    }
}

void merge_patch(Json& target, const Json& patch) {
    if (!patch.is_object()) {
        target = patch;
        return;
    }
    if (!target.is_object()) target = Json::object();
    for (const auto& [key, value] : patch.items()) {
        if (value.is_null()) {
            target.erase(key);
        } else {
            merge_patch(target[key], value);
        }
    }
}

namespace {

Json load_config_chain(const std::string& path, std::vector<std::string>& chain) {
    for (const auto& seen : chain) {
        if (seen == path) throw ConfigError(join(chain, " -> ") + " -> " + path + ": extends cycle");
    }
    chain.push_back(path);
    Json j = load_json_file(path);
    if (!j.is_object()) throw ConfigError(path + ": expected a JSON object at the top level");
    auto it = j.find("extends");
    if (it == j.end()) return j;
    if (!it->is_string() || it->get<std::string>().empty()) {
        throw ConfigError(path + ": extends: expected the path of a base config file (a string)");
    }
    namespace fs = std::filesystem;
    fs::path base_path(it->get<std::string>());
    if (base_path.is_relative()) base_path = fs::path(path).parent_path() / base_path;
    const std::string base = base_path.lexically_normal().string();
    j.erase("extends");
    Json merged;
    try {
        merged = load_config_chain(base, chain);
    } catch (const IoError& e) {
        throw ConfigError(path + ": extends: " + e.what());
    }
    merge_patch(merged, j);
    return merged;
}

}  // namespace

Json load_config_file(const std::string& path) {
    std::vector<std::string> chain;
    return load_config_chain(std::filesystem::path(path).lexically_normal().string(), chain);
}

void apply_override(Json& root, const std::string& assignment) {
    auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw ConfigError("--set " + assignment + ": expected key.path=value");
    }
    std::string key = assignment.substr(0, eq);
    std::string text = assignment.substr(eq + 1);
    Json value;
    try {
        value = Json::parse(text);
    } catch (const Json::parse_error&) {
        value = text;  // a bare word such as gspo
    }
    Json* node = &root;
    std::vector<std::string> parts = split(key, '.');
    for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].empty()) throw ConfigError("--set " + assignment + ": empty key component");
        if (node->is_array()) {  // data.train.0.path: an element of a list, by 0-based index
            const std::string at = join({parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(i)}, ".");
            if (parts[i].find_first_not_of("0123456789") != std::string::npos || std::stoul(parts[i]) >= node->size()) {
                throw ConfigError("--set " + key + ": " + at + " is a list of " + std::to_string(node->size()) +
                                  " items; expected an index 0.." + std::to_string(static_cast<int>(node->size()) - 1));
            }
            node = &(*node)[std::stoul(parts[i])];
            continue;
        }
        if (node->is_null()) *node = Json::object();
        if (!node->is_object()) {
            throw ConfigError("--set " + key + ": " + join({parts.begin(), parts.begin() + i}, ".") +
                              " is not an object");
        }
        node = &(*node)[parts[i]];
    }
    *node = value;
}

}  // namespace aha
