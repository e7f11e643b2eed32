// Minimal logging to stderr with elapsed time, and a wall clock for per-phase timings.
#pragma once

#include <chrono>
#include <string>

namespace aha {

// Prints "[aha   12.3s] message" to stderr.
void log_info(const std::string& message);

// Seconds since construction (or the last reset).
class Stopwatch {
 public:
    Stopwatch() : start_(std::chrono::steady_clock::now()) {}
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }
    void reset() { start_ = std::chrono::steady_clock::now(); }

 private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace aha
