// Catalogues: tables of named entries (a name and its code side by side), so a name and what it does cannot
// drift apart and an unknown name lists the valid ones. Each entry type has a `const char* name`.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/strings.h"

namespace aha {

template <typename Entry>
std::vector<std::string> catalogue_names(const std::vector<Entry>& table) {
    std::vector<std::string> names;
    for (const auto& e : table) names.emplace_back(e.name);
    return names;
}

// The entry called `name`; ConfigError "<what> '<name>': unknown; valid names: ..." otherwise.
template <typename Entry>
const Entry& catalogue_entry(const std::vector<Entry>& table, const std::string& name, const std::string& what) {
    for (const auto& e : table) {
        if (name == e.name) return e;
    }
    throw ConfigError(what + " '" + name + "': unknown; valid names: " + join(catalogue_names(table)));
}

}  // namespace aha
