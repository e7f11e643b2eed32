// `aha verify code`; see verify_code.h.
#include "cli/verify_code.h"

#include <cstdio>
#include <ostream>
#include <string>

#include "cli/args.h"
#include "core/error.h"
#include "verifiers/code/verify.h"

namespace aha::cli {

namespace {

const char* kHelp =
    "usage: aha verify code --jsonl FILE [options]\n"
    "Runs each line's program against its tests inside the sandbox and writes one JSON line per input line, in\n"
    "order: verdict, passed, total, reward, tests (per-test verdict, seconds, exit_code/signal, detail).\n"
    "Input lines: {\"program\": source} or {\"completion\": text} (the last ```python / ```cpp block), optional\n"
    "\"language\" (python|cpp), optional \"id\" (echoed in the verdict), and \"tests\": {\"inputs\": [...], \"outputs\": [...]} (stdin/stdout) or\n"
    "{\"test_code\": text or [texts], \"entry_point\": name} (asserts; a HumanEval check() gets the entry point).\n"
    "Verdicts: accepted, wrong_answer, runtime_error, time_limit, memory_limit, output_limit, sandbox_error,\n"
    "compile_error, no_code.\n"
    "  --workers N        programs verified at once (number of cores)\n"
    "  --timeout S        wall-clock seconds per run (10)      --cpu S  CPU seconds per run (10)\n"
    "  --memory-mb M      address space per process (1024)    --processes N  processes and threads (32)\n"
    "  --reward R         all_pass (default) or fraction\n"
    "  --fail-fast        stop a program's stdin/stdout tests at the first failure\n"
    "  --python PATH      interpreter inside the sandbox (/usr/bin/python3)\n"
    "  --read-only PATH   a host path the sandbox may read (an interpreter outside /usr); repeatable\n"
    "  --sandbox MODE     strict (default: namespaces, private root, seccomp, rlimits) or weak (rlimits,\n"
    "                     seccomp, a separate uid only; for hosts that forbid namespaces)\n";

}  // namespace

int verify_code_command(int argc, char** argv, std::ostream& out) {
    using verifiers::code::CodeTask;
    verifiers::code::CodeVerifyOptions o;
    std::string jsonl;
    int workers = 0;
    auto& l = o.sandbox.limits;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&] { return flag_value(argc, argv, i); };
        if (arg == "--help" || arg == "-h") {
            std::fputs(kHelp, stdout);
            return 0;
        }
        if (arg == "--jsonl") jsonl = value();
        else if (arg == "--workers") workers = to_int(arg, value());
        else if (arg == "--timeout") l.wall_seconds = to_number(arg, value());
        else if (arg == "--cpu") l.cpu_seconds = to_int(arg, value());
        else if (arg == "--memory-mb") l.memory_bytes = static_cast<long long>(to_int(arg, value())) << 20;
        else if (arg == "--processes") l.processes = to_int(arg, value());
        else if (arg == "--reward") o.reward = value();
        else if (arg == "--fail-fast") o.fail_fast = true;
        else if (arg == "--python") o.python = value();
        else if (arg == "--sandbox") o.sandbox.mode = value();
        else if (arg == "--read-only") o.sandbox.read_only.push_back(value());
        else throw ConfigError("unknown argument " + arg + " for 'aha verify code'", "see aha verify code --help");
    }
    if (jsonl.empty()) throw ConfigError("missing --jsonl FILE", "see aha verify code --help");
    if (workers < 0) throw ConfigError("--workers: expected 0 (the number of cores) or more");
    o.validate("aha verify code");

    // Every line is read and checked before any program runs: a bad line stops the command with its
    // FILE:LINE, not half-way through.
    std::vector<CodeTask> tasks;
    read_json_lines(jsonl, [&](const Json& j, const std::string& where) { tasks.push_back(CodeTask::from_json(j, where)); });
    std::vector<Json> ids;
    for (const auto& t : tasks) ids.push_back(t.id);
    verifiers::code::check_sandbox(o.sandbox);
    verifiers::code::CodeVerifierPool pool(o, workers);
    // A bounded window of submissions keeps memory flat on large files; results are written in order.
    const size_t window = static_cast<size_t>(pool.workers()) * 4;
    std::vector<std::future<verifiers::code::CodeVerdict>> pending;
    size_t next = 0;
    for (size_t k = 0; k < tasks.size(); ++k) {
        while (next < tasks.size() && next < k + window) pending.push_back(pool.submit(std::move(tasks[next++])));
        Json verdict = pending[k].get().to_json();
        if (!ids[k].is_null()) verdict["id"] = ids[k];
        out << verdict.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
        out.flush();
    }
    return 0;
}

}  // namespace aha::cli
