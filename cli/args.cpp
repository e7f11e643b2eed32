// Shared argument helpers; see args.h.
#include "cli/args.h"

#include <cstdint>
#include <cstdio>
#include <exception>

#include "core/error.h"

namespace aha::cli {

double to_number(const std::string& flag, const std::string& text) {
    try {
        size_t used = 0;
        double v = std::stod(text, &used);
        if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    throw ConfigError(flag + ": expected a number, got '" + text + "'");
}

int to_int(const std::string& flag, const std::string& text) {
    double v = to_number(flag, text);
    if (v != static_cast<double>(static_cast<int64_t>(v))) throw ConfigError(flag + ": expected an integer, got '" + text + "'");
    return static_cast<int>(v);
}

std::string flag_value(int argc, char** argv, int& i) {
    if (i + 1 >= argc) throw ConfigError(std::string(argv[i]) + ": missing value");
    return argv[++i];
}

int report_errors(const std::function<int()>& body) {
    try {
        return body();
    } catch (const Error& e) {
        std::fprintf(stderr, "aha: error: %s\n", e.what());
        if (!e.hint().empty()) std::fprintf(stderr, "%s\n", e.hint().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "aha: error: %s\n", e.what());
    }
    return 2;
}

}  // namespace aha::cli
