// Shared by the tests: the message of the aha::Error a call throws, or "<no error>".
#pragma once

#include <functional>
#include <string>

#include "core/error.h"

namespace aha::testing {

inline std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace aha::testing
