// What every `aha` program shares, with no LibTorch: numeric flag values and the one-line error report.
#pragma once

#include <functional>
#include <string>

namespace aha::cli {

// The flag's value as a number (or an integer); anything else is a ConfigError naming the flag.
double to_number(const std::string& flag, const std::string& text);
int to_int(const std::string& flag, const std::string& text);

// The value after the flag argv[i] (advancing i), or a ConfigError naming the flag.
std::string flag_value(int argc, char** argv, int& i);

// Runs `body` and returns its exit code; an error is printed as "aha: error: ..." (plus its hint) on
// stderr and gives exit code 2.
int report_errors(const std::function<int()>& body);

}  // namespace aha::cli
