// Config structs that declare each key once: its name, the member it fills and the check of its value. Strict
// reading (unknown keys rejected by ConfigReader::finish), writing and validation all come from that one
// table, so a key cannot be read under one name, written under another and never checked.
//
//   const ConfigFields<DemoDataConfig>& fields() {
//       static const ConfigFields<DemoDataConfig> f = {
//           field("dir", &DemoDataConfig::dir, non_empty("expected a directory")),
//           field("train_prompts", &DemoDataConfig::train_prompts, at_least(1)),
//       };
//       return f;
//   }
//   c = read_fields(fields(), r);  j = write_fields(fields(), c);  check_fields(fields(), c, path);
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/strings.h"

namespace aha {

template <typename T>
struct ConfigField {
    std::string name;
    std::function<void(ConfigReader&, T&)> read;
    std::function<void(const T&, Json&)> write;
    std::function<void(const T&, const std::string& key)> check;  // throws ConfigError naming `key`
};

template <typename T>
using ConfigFields = std::vector<ConfigField<T>>;

// A check of one value: "" when it is fine, else what was expected ("expected >= 1").
template <typename V>
using ValueCheck = std::function<std::string(const V&)>;

// A member's value as the config writes it (an unset optional is null).
template <typename V>
Json config_value(const V& v) {
    return Json(v);
}
inline Json config_value(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

template <typename T, typename V>
ConfigField<T> field(std::string name, V T::*member, ValueCheck<V> check = {}) {
    ConfigField<T> f;
    f.name = name;
    f.read = [name, member](ConfigReader& r, T& c) { r.read(name, c.*member); };
    f.write = [name, member](const T& c, Json& j) { j[name] = config_value(c.*member); };
    f.check = [member, check](const T& c, const std::string& key) {
        if (!check) return;
        const std::string problem = check(c.*member);
        config_require(problem.empty(), key, problem);
    };
    return f;
}

// Reads every declared key into `c` (defaults stay where a key is absent); the caller calls finish().
template <typename T>
void read_fields(const ConfigFields<T>& fields, ConfigReader& r, T& c) {
    for (const auto& f : fields) f.read(r, c);
}

template <typename T>
void write_fields(const ConfigFields<T>& fields, const T& c, Json& j) {
    for (const auto& f : fields) f.write(c, j);
}

template <typename T>
void check_fields(const ConfigFields<T>& fields, const T& c, const std::string& path) {
    for (const auto& f : fields) f.check(c, path.empty() ? f.name : path + "." + f.name);
}

// A block that is nothing but its fields: read strictly (unknown keys are errors) and written back.
template <typename T>
T read_block(const ConfigFields<T>& fields, ConfigReader r) {
    T c;
    read_fields(fields, r, c);
    r.finish();
    return c;
}

template <typename T>
Json block_json(const ConfigFields<T>& fields, const T& c) {
    Json j = Json::object();
    write_fields(fields, c, j);
    return j;
}

template <typename V>
std::string json_text(const V& v) {
    return Json(v).dump();
}

// Common checks.
template <typename V>
ValueCheck<V> at_least(V lo, std::string note = "") {
    return [lo, note](const V& v) { return v >= lo ? "" : "expected >= " + json_text(lo) + note; };
}
template <typename V>
ValueCheck<V> in_range(V lo, V hi) {
    return [lo, hi](const V& v) { return v >= lo && v <= hi ? "" : "expected " + json_text(lo) + ".." + json_text(hi); };
}
template <typename V>
ValueCheck<V> greater_than(V lo) {
    return [lo](const V& v) { return v > lo ? "" : "expected > " + json_text(lo); };
}
inline ValueCheck<std::string> non_empty(std::string what) {
    return [what](const std::string& v) { return v.empty() ? what : ""; };
}
inline ValueCheck<std::string> one_of(std::vector<std::string> names) {
    return [names](const std::string& v) {
        for (const auto& n : names) {
            if (n == v) return std::string();
        }
        return "unknown '" + v + "'; valid names: " + join(names);
    };
}
// Each element of a list.
template <typename V>
ValueCheck<std::vector<V>> each(ValueCheck<V> check, std::string what) {
    return [check, what](const std::vector<V>& v) {
        for (const auto& x : v) {
            if (!check(x).empty()) return what;
        }
        return std::string();
    };
}

}  // namespace aha
