// Minimal logging; see log.h.
#include "core/log.h"

#include <cstdio>

namespace aha {

void log_info(const std::string& message) {
    static const Stopwatch since_start;
    std::fprintf(stderr, "[aha %7.1fs] %s\n", since_start.seconds(), message.c_str());
}

}  // namespace aha
