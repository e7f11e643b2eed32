// `aha verify math`: grades predictions against gold answers with the math verifier, one verdict JSON line
// per input, in order: from a JSONL file of {"gold": ..., "pred": ...} lines, or one --gold/--pred pair.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "verifiers/math/verify.h"

namespace aha::cli {

struct VerifyOptions {
    std::string jsonl;                // input file (empty: use gold/pred)
    std::optional<std::string> gold;  // one pair
    std::optional<std::string> pred;
    verifiers::math::MathVerifyOptions math;
};

// Writes the verdicts; a malformed input line is an error naming FILE:LINE and what was expected.
int run_verify(const VerifyOptions& options, std::ostream& out);

// `aha verify ARGS...` (argv[0] is "verify"): parses the flags, prints help or runs. Throws aha::Error.
int verify_command(int argc, char** argv, std::ostream& out);

}  // namespace aha::cli
