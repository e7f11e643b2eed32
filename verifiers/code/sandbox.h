// Running untrusted programs: the supervisor side of the sandbox. Each run copies the program's files
// into a fresh directory, starts the aha-sandbox helper (verifiers/code/sandbox_helper.cpp, which sets
// up namespaces, a private root, rlimits and a seccomp filter before exec) with Boost.Process, feeds
// stdin without blocking, drains stdout and stderr concurrently up to a cap, and enforces the wall-clock
// limit itself: on timeout or overflow it kills the helper, whose death kills the program's whole PID
// namespace. No torch.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace aha::verifiers::code {

struct SandboxLimits {
    double wall_seconds = 10;             // enforced by the supervisor
    long cpu_seconds = 10;                // RLIMIT_CPU (SIGXCPU, then SIGKILL a second later)
    long long memory_bytes = 1LL << 30;   // RLIMIT_AS of each process
    long processes = 32;                  // RLIMIT_NPROC: processes and threads of the sandbox
    long open_files = 64;                 // RLIMIT_NOFILE
    long long file_size_bytes = 16LL << 20;  // RLIMIT_FSIZE
    long long tmp_bytes = 64LL << 20;     // the writable /tmp (tmpfs)
    long long output_bytes = 8LL << 20;   // stdout and stderr each; past it the run is killed
};

struct SandboxOptions {
    // "strict": namespaces + private root + rlimits + seccomp. "weak": rlimits + seccomp + nobody
    // (when root) only, for hosts that forbid namespaces; never chosen automatically.
    std::string mode = "strict";
    std::string helper;                   // path of aha-sandbox; empty: found beside the program or the build
    std::vector<std::string> read_only;   // extra host paths visible read-only (an interpreter outside /usr)
    SandboxLimits limits;
};

struct RunResult {
    enum class Status { kExited, kSignaled, kTimeout, kOutputLimit, kSandboxError };
    Status status = Status::kSandboxError;
    int exit_code = 0;   // kExited
    int signal = 0;      // kSignaled
    std::string out, err;
    double wall_seconds = 0;
    std::string error;   // kSandboxError: what failed
};

// Runs `argv` (argv[0] an absolute path inside the sandbox) with `files` (name -> content) at /box and
// the working directory /tmp. Never throws for anything the program does.
RunResult run_sandboxed(const SandboxOptions& options, const std::map<std::string, std::string>& files,
                        const std::vector<std::string>& argv, const std::string& stdin_data);

// Checks once that the sandbox can start on this host. Throws aha::SandboxError with what the
// host forbids and how to opt into the weak mode, or names a missing helper.
void check_sandbox(const SandboxOptions& options);

// The helper path `options` resolves to.
std::string sandbox_helper_path(const SandboxOptions& options);

}  // namespace aha::verifiers::code
