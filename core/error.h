// The aha error hierarchy: exceptions thrown at boundaries (config, files, formats) and caught in main,
// which prints the message as one line and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace aha {

// Base of every error aha reports to the user. The message names what was wrong and where.
class Error : public std::runtime_error {
 public:
    explicit Error(const std::string& message, std::string hint = {})
        : std::runtime_error(message), hint_(std::move(hint)) {}
    // Optional second line: what the user can do about it.
    const std::string& hint() const { return hint_; }

 private:
    std::string hint_;
};

// A config key that is unknown, of the wrong type, or out of range.
class ConfigError : public Error {
    using Error::Error;
};

// A file or directory that cannot be read, written or created.
class IoError : public Error {
    using Error::Error;
};

// Content of the wrong shape: a corrupt checkpoint, a bad dataset line, invalid UTF-8.
class FormatError : public Error {
    using Error::Error;
};

// The code sandbox cannot run on this host (namespaces forbidden, helper missing).
class SandboxError : public Error {
    using Error::Error;
};

}  // namespace aha
