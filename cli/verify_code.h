// `aha verify code`: runs programs against their tests in the sandbox, one verdict JSON line per input
// line, in order, verified in parallel by a pool of workers.
#pragma once

#include <iosfwd>

namespace aha::cli {

// argv[0] is "code". Throws aha::Error for bad flags, a malformed input line (FILE:LINE) or a host where
// the sandbox cannot run.
int verify_code_command(int argc, char** argv, std::ostream& out);

}  // namespace aha::cli
