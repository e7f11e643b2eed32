// The code verifier: runs a program (given, or extracted from a completion) against stdin/stdout tests
// or assert-style tests inside the sandbox and returns per-test verdicts and a reward. A pool of workers
// verifies many programs at once. No torch.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "verifiers/code/sandbox.h"

namespace aha::verifiers::code {

struct CodeTask {
    std::string program;      // the source; when empty, extracted from `completion`
    std::string completion;
    std::string language = "python";  // "python" or "cpp"
    // stdin/stdout tests (inputs[i] -> outputs[i]), with an optional Python checker run as
    // `checker.py input.txt output.txt expected.txt` (exit 0 accepts).
    std::vector<std::string> inputs, outputs;
    std::string checker;
    // Assert-style tests (each one test), with the entry point passed to a HumanEval check().
    std::vector<std::string> test_code;
    std::string entry_point;
    std::string setup_code;   // run before the program in its namespace (imports a dataset assumes)
    Json id;                  // the input line's "id", echoed in its verdict line (null when absent)

    bool assert_style() const { return !test_code.empty(); }
    // From a JSON line: {"id"?, "program" | "completion", "language"?, "tests": {"inputs", "outputs", "checker"?}
    // or {"test_code": text or [text], "entry_point"?}}. Errors name `where` and the key.
    static CodeTask from_json(const Json& j, const std::string& where);
};

struct CodeVerifyOptions {
    SandboxOptions sandbox;
    std::string python = "/usr/bin/python3";
    std::string cxx = "/usr/bin/g++";
    std::vector<std::string> cxx_flags = {"-O2", "-std=c++17"};
    SandboxLimits compile_limits{60, 60, 2LL << 30, 32, 256, 256LL << 20, 512LL << 20, 64LL << 20};
    std::string reward = "all_pass";  // "all_pass": 1 when every test passes; "fraction": passed / total
    double float_tolerance = 1e-6;
    bool fail_fast = false;           // stop at the first failed stdin/stdout test (the rest count as failed)

    static CodeVerifyOptions from_json(ConfigReader r);
    Json to_json() const;
    void validate(const std::string& path) const;
};

struct TestResult {
    std::string verdict;  // accepted, wrong_answer, runtime_error, time_limit, memory_limit, output_limit, sandbox_error
    int exit_code = 0;
    int signal = 0;
    double seconds = 0;
    std::string detail;   // the end of stderr, or what went wrong
};

struct CodeVerdict {
    // accepted, wrong_answer, runtime_error, time_limit, memory_limit, output_limit, sandbox_error, plus
    // compile_error (C++) and no_code (no program in the completion). The first failing test's verdict.
    std::string verdict = "sandbox_error";
    int passed = 0, total = 0;
    double reward = 0;
    std::vector<TestResult> tests;
    std::string detail;

    Json to_json() const;
};

CodeVerdict verify_code(const CodeTask& task, const CodeVerifyOptions& options);

// The verdict of one run that did not end normally (time_limit, memory_limit, output_limit,
// runtime_error, sandbox_error), or an empty verdict when it exited 0 and its output decides.
TestResult classify_run(const RunResult& run, const SandboxLimits& limits);

// Verifies tasks on `workers` threads (0: the number of cores). submit() returns at once; results come
// back through futures, so rewards can be computed while the caller generates more completions.
class CodeVerifierPool {
public:
    CodeVerifierPool(CodeVerifyOptions options, int workers = 0);
    ~CodeVerifierPool();
    CodeVerifierPool(const CodeVerifierPool&) = delete;
    CodeVerifierPool& operator=(const CodeVerifierPool&) = delete;

    std::future<CodeVerdict> submit(CodeTask task);
    int workers() const { return static_cast<int>(threads_.size()); }

private:
    void loop();

    CodeVerifyOptions options_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::packaged_task<CodeVerdict()>> queue_;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace aha::verifiers::code
