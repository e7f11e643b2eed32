// The `aha` command. `aha verify` and `aha report` run here, in a program that does not link LibTorch: loading LibTorch
// costs ~0.4 s per process, more than grading a few thousand answers, and graders are run often (one
// call per reward batch, in scripts, from other languages). Every other command needs LibTorch and is
// handed, with the same arguments, to `aha-torch` beside this program (cli/main.cpp).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/report.h"
#include "cli/verify.h"
#include "core/error.h"
#include "core/files.h"

namespace {

int run(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "verify") {
        std::ios::sync_with_stdio(false);
        return aha::cli::verify_command(argc - 1, argv + 1, std::cout);
    }
    if (argc >= 2 && std::string(argv[1]) == "report") return aha::cli::report_command(argc - 1, argv + 1);
    const std::string torch = aha::executable_directory() + "/aha-torch";
    std::fflush(nullptr);
    execv(torch.c_str(), argv);
    throw aha::IoError(torch + ": cannot run (" + std::strerror(errno) + ")",
                       "aha-torch is built beside aha (scripts/build.sh); it runs every command but verify");
}

}  // namespace

int main(int argc, char** argv) {
    return aha::cli::report_errors([&] { return run(argc, argv); });
}
