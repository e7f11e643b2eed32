// The code verifier; see verify.h.
#include "verifiers/code/verify.h"

#include <signal.h>

#include <random>

#include "core/error.h"
#include "verifiers/code/harness.h"

namespace aha::verifiers::code {

namespace {

std::string tail(const std::string& s, size_t n = 600) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

std::string make_nonce() {
    static thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32)};
    static const char* hex = "0123456789abcdef";
    std::string s = "aha-";
    for (int i = 0; i < 32; ++i) s += hex[rng() & 15];
    return s;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

}  // namespace

TestResult classify_run(const RunResult& r, const SandboxLimits& limits) {
    TestResult t;
    t.exit_code = r.exit_code;
    t.signal = r.signal;
    t.seconds = r.wall_seconds;
    t.detail = tail(r.err);
    switch (r.status) {
        case RunResult::Status::kSandboxError:
            t.verdict = "sandbox_error";
            t.detail = r.error;
            break;
        case RunResult::Status::kTimeout:
            t.verdict = "time_limit";
            break;
        case RunResult::Status::kOutputLimit:
            t.verdict = "output_limit";
            break;
        case RunResult::Status::kSignaled:
            if (r.signal == SIGXCPU || (r.signal == SIGKILL && r.wall_seconds >= static_cast<double>(limits.cpu_seconds))) {
                t.verdict = "time_limit";
            } else if (r.signal == SIGABRT && contains(r.err, "std::bad_alloc")) {
                t.verdict = "memory_limit";
            } else if (r.signal == SIGXFSZ) {
                t.verdict = "output_limit";
            } else {
                t.verdict = "runtime_error";
            }
            break;
        case RunResult::Status::kExited:
            if (r.exit_code == 0) break;
            t.verdict = contains(r.err, "MemoryError") || contains(r.err, "std::bad_alloc") ? "memory_limit" : "runtime_error";
            break;
    }
    return t;
}

namespace {

std::vector<std::string> strings(const Json& j, const std::string& where) {
    std::vector<std::string> out;
    if (j.is_string()) return {j.get<std::string>()};
    if (!j.is_array()) throw FormatError(where + ": expected a list of strings");
    for (const auto& x : j) {
        if (!x.is_string()) throw FormatError(where + ": expected a list of strings");
        out.push_back(x.get<std::string>());
    }
    return out;
}

std::string string_field(const Json& j, const std::string& key, const std::string& where) {
    if (!j.contains(key)) return "";
    if (!j[key].is_string()) throw FormatError(where + ": \"" + key + "\" must be a string");
    return j[key].get<std::string>();
}

}  // namespace

namespace {

// [{"input": ..., "output": ...}], as the Codeforces file writes its tests.
void read_test_list(const Json& tests, const std::string& tw, CodeTask& t) {
    for (const auto& x : tests) {
        if (!x.is_object() || !x.contains("input") || !x.contains("output") || !x["input"].is_string() ||
            !x["output"].is_string()) {
            throw FormatError(tw + ": expected a list of {\"input\": text, \"output\": text}");
        }
        t.inputs.push_back(x["input"].get<std::string>());
        t.outputs.push_back(x["output"].get<std::string>());
    }
}

// {"inputs", "outputs", "checker"?} or {"test_code" (or LeetCode's "functional"), "entry_point"?,
// "setup_code"?}.
void read_test_object(const Json& tests, const std::string& tw, CodeTask& t) {
    for (const auto& [key, unused] : tests.items()) {
        if (key != "inputs" && key != "outputs" && key != "checker" && key != "test_code" && key != "functional" &&
            key != "entry_point" && key != "setup_code") {
            throw FormatError(tw + ": unknown key \"" + key + "\"; expected inputs/outputs[/checker] or test_code[/entry_point/setup_code]");
        }
    }
    if (tests.contains("inputs") || tests.contains("outputs")) {
        if (!tests.contains("inputs") || !tests.contains("outputs")) throw FormatError(tw + ": expected both \"inputs\" and \"outputs\"");
        t.inputs = strings(tests["inputs"], tw + ".inputs");
        t.outputs = strings(tests["outputs"], tw + ".outputs");
        if (t.inputs.size() != t.outputs.size()) {
            throw FormatError(tw + ": " + std::to_string(t.inputs.size()) + " inputs but " + std::to_string(t.outputs.size()) + " outputs");
        }
        t.checker = string_field(tests, "checker", tw);
    }
    const char* code_key = tests.contains("test_code") ? "test_code" : "functional";
    if (!tests.contains(code_key)) return;
    if (!t.inputs.empty()) throw FormatError(tw + ": stdin/stdout tests and test_code are exclusive");
    t.test_code = strings(tests[code_key], tw + "." + code_key);
    t.entry_point = string_field(tests, "entry_point", tw);
    t.setup_code = string_field(tests, "setup_code", tw);
    if (t.language != "python") throw FormatError(tw + ": assert-style tests are for Python programs");
}

}  // namespace

CodeTask CodeTask::from_json(const Json& j, const std::string& where) {
    if (!j.is_object()) throw FormatError(where + ": expected a JSON object");
    for (const auto& [key, unused] : j.items()) {
        if (key != "id" && key != "program" && key != "completion" && key != "language" && key != "tests") {
            throw FormatError(where + ": unknown key \"" + key + "\"; expected id, program or completion, language, tests");
        }
    }
    CodeTask t;
    if (j.contains("id")) t.id = j["id"];
    t.program = string_field(j, "program", where);
    t.completion = string_field(j, "completion", where);
    if (j.contains("program") == j.contains("completion")) throw FormatError(where + ": expected exactly one of \"program\" and \"completion\"");
    if (j.contains("language")) t.language = string_field(j, "language", where);
    if (t.language == "python3" || t.language == "py") t.language = "python";
    if (t.language == "c++" || t.language == "cxx") t.language = "cpp";
    if (t.language != "python" && t.language != "cpp") throw FormatError(where + ": language \"" + t.language + "\"; expected python or cpp");
    if (!j.contains("tests")) throw FormatError(where + ": missing \"tests\"");
    const Json& tests = j["tests"];
    const std::string tw = where + ": tests";
    if (tests.is_array()) {
        read_test_list(tests, tw, t);
    } else if (tests.is_object()) {
        read_test_object(tests, tw, t);
    } else {
        throw FormatError(tw + ": expected an object or a list");
    }
    if (t.inputs.empty() && t.test_code.empty()) throw FormatError(tw + ": no tests");
    return t;
}

CodeVerifyOptions CodeVerifyOptions::from_json(ConfigReader r) {
    CodeVerifyOptions o;
    double wall = o.sandbox.limits.wall_seconds;
    int64_t memory_mb = o.sandbox.limits.memory_bytes >> 20, cpu = o.sandbox.limits.cpu_seconds,
            processes = o.sandbox.limits.processes, output_mb = o.sandbox.limits.output_bytes >> 20;
    r.read("python", o.python)
        .read("cxx", o.cxx)
        .read("cxx_flags", o.cxx_flags)
        .read("reward", o.reward)
        .read("float_tolerance", o.float_tolerance)
        .read("fail_fast", o.fail_fast)
        .read("mode", o.sandbox.mode)
        .read("helper", o.sandbox.helper)
        .read("read_only_paths", o.sandbox.read_only)
        .read("timeout_s", wall)
        .read("cpu_s", cpu)
        .read("memory_mb", memory_mb)
        .read("processes", processes)
        .read("output_mb", output_mb);
    r.finish();
    SandboxLimits& l = o.sandbox.limits;
    l.wall_seconds = wall;
    l.cpu_seconds = cpu;
    l.memory_bytes = memory_mb << 20;
    l.processes = processes;
    l.output_bytes = output_mb << 20;
    return o;
}

Json CodeVerifyOptions::to_json() const {
    const SandboxLimits& l = sandbox.limits;
    return {{"python", python}, {"cxx", cxx}, {"cxx_flags", cxx_flags}, {"reward", reward},
            {"float_tolerance", float_tolerance}, {"fail_fast", fail_fast}, {"mode", sandbox.mode},
            {"helper", sandbox.helper}, {"read_only_paths", sandbox.read_only}, {"timeout_s", l.wall_seconds},
            {"cpu_s", l.cpu_seconds}, {"memory_mb", l.memory_bytes >> 20}, {"processes", l.processes},
            {"output_mb", l.output_bytes >> 20}};
}

void CodeVerifyOptions::validate(const std::string& path) const {
    for (const auto& p : sandbox.read_only) {
        config_require(!p.empty() && p[0] == '/' && p.find("..") == std::string::npos, path + ".read_only_paths",
                       "expected absolute paths without '..', got '" + p + "'");
    }
    config_require_one_of(reward, {"all_pass", "fraction"}, path + ".reward");
    config_require_one_of(sandbox.mode, {"strict", "weak"}, path + ".mode");
    const SandboxLimits& l = sandbox.limits;
    config_require(l.wall_seconds > 0 && l.wall_seconds <= 3600, path + ".timeout_s", "expected in (0, 3600]");
    config_require(l.cpu_seconds >= 1 && l.cpu_seconds <= 3600, path + ".cpu_s", "expected 1..3600");
    config_require(l.memory_bytes >= (64LL << 20), path + ".memory_mb", "expected at least 64");
    config_require(l.processes >= 1 && l.processes <= 4096, path + ".processes", "expected 1..4096");
    config_require(l.output_bytes >= (1LL << 20), path + ".output_mb", "expected at least 1");
    config_require(float_tolerance >= 0 && float_tolerance < 1, path + ".float_tolerance", "expected in [0, 1)");
    config_require(!python.empty() && python[0] == '/', path + ".python", "expected an absolute path");
    config_require(!cxx.empty() && cxx[0] == '/', path + ".cxx", "expected an absolute path");
}

Json CodeVerdict::to_json() const {
    Json tests_json = Json::array();
    for (const auto& t : tests) {
        Json x = {{"verdict", t.verdict}, {"seconds", t.seconds}};
        if (t.exit_code) x["exit_code"] = t.exit_code;
        if (t.signal) x["signal"] = t.signal;
        if (!t.detail.empty() && t.verdict != "accepted") x["detail"] = t.detail;
        tests_json.push_back(x);
    }
    Json j = {{"verdict", verdict}, {"passed", passed}, {"total", total}, {"reward", reward}, {"tests", tests_json}};
    if (!detail.empty()) j["detail"] = detail;
    return j;
}

namespace {

// The aggregate verdict (the first failing test's), passed count and reward of finished tests.
CodeVerdict summarize(CodeVerdict v, const CodeVerifyOptions& o) {
    v.passed = 0;
    for (const auto& t : v.tests) v.passed += t.verdict == "accepted";
    v.verdict = v.total == 0 ? "wrong_answer" : "accepted";
    for (const auto& t : v.tests) {
        if (t.verdict != "accepted") {
            v.verdict = t.verdict;
            break;
        }
    }
    const double share = v.total ? static_cast<double>(v.passed) / v.total : 0.0;
    v.reward = o.reward == "fraction" ? share : (v.passed == v.total && v.total > 0 ? 1.0 : 0.0);
    return v;
}

// All assert-style tests in one sandboxed run of the harness; without its result line (the program
// exited early, crashed, ran out of time) every test takes the run's verdict.
std::vector<TestResult> run_assert_tests(const CodeTask& task, const std::string& program, const CodeVerifyOptions& o) {
    const std::string nonce = make_nonce();
    RunResult r = run_sandboxed(o.sandbox, {{"main.py", python_assert_harness(program, task.test_code, task.entry_point)}},
                                {o.python, "-I", "/box/main.py"}, nonce + "\n");
    const TestResult base = classify_run(r, o.sandbox.limits);
    auto flags = r.status == RunResult::Status::kExited ? harness_results(r.out, nonce, task.test_code.size()) : std::nullopt;
    std::vector<TestResult> tests;
    for (size_t i = 0; i < task.test_code.size(); ++i) {
        TestResult t = base;
        if (flags) {
            t.verdict = (*flags)[i] ? "accepted" : "wrong_answer";
        } else if (t.verdict.empty()) {  // exited 0 without the harness's result line
            t.verdict = "runtime_error";
            t.detail = "the program ended before the tests finished";
        }
        tests.push_back(t);
    }
    return tests;
}

// g++ in the sandbox too (an #include can name any file), under the compile limits: the binary comes
// back on stdout, the compiler's messages on stderr.
RunResult compile_cpp(const std::string& program, const CodeVerifyOptions& o) {
    SandboxOptions compile = o.sandbox;
    compile.limits = o.compile_limits;
    std::string cmd = "PATH=/usr/bin:/bin; export PATH; " + o.cxx;
    for (const auto& f : o.cxx_flags) cmd += " " + shell_quote(f);
    cmd += " -o /tmp/a.out /box/main.cpp 1>&2 && cat /tmp/a.out";
    return run_sandboxed(compile, {{"main.cpp", program}}, {"/bin/sh", "-c", cmd}, "");
}

// One stdin/stdout test: the program's run, then the judge comparison or the task's checker.
TestResult run_stdio_test(const CodeTask& task, size_t i, const std::map<std::string, std::string>& files,
                          const std::vector<std::string>& argv, const CodeVerifyOptions& o) {
    RunResult r = run_sandboxed(o.sandbox, files, argv, task.inputs[i]);
    TestResult t = classify_run(r, o.sandbox.limits);
    if (!t.verdict.empty()) return t;
    if (task.checker.empty()) {
        t.verdict = outputs_match(task.outputs[i], r.out, o.float_tolerance) ? "accepted" : "wrong_answer";
        return t;
    }
    RunResult c = run_sandboxed(o.sandbox,
                                {{"checker.py", task.checker}, {"input.txt", task.inputs[i]}, {"output.txt", r.out},
                                 {"expected.txt", task.outputs[i]}},
                                {o.python, "-I", "/box/checker.py", "/box/input.txt", "/box/output.txt", "/box/expected.txt"}, "");
    if (c.status == RunResult::Status::kSandboxError || c.status == RunResult::Status::kTimeout) {
        t.verdict = "sandbox_error";
        t.detail = "the checker failed: " + (c.error.empty() ? tail(c.err) : c.error);
        return t;
    }
    t.verdict = c.status == RunResult::Status::kExited && c.exit_code == 0 ? "accepted" : "wrong_answer";
    return t;
}

}  // namespace

CodeVerdict verify_code(const CodeTask& task, const CodeVerifyOptions& o) {
    CodeVerdict v;
    v.total = static_cast<int>(task.assert_style() ? task.test_code.size() : task.inputs.size());
    std::string program = task.program;
    if (program.empty()) {
        auto extracted = extract_program(task.completion, task.language);
        if (!extracted) {
            v.verdict = "no_code";
            v.detail = "no ```" + task.language + " code block in the completion";
            return v;
        }
        program = *extracted;
    }
    if (!task.setup_code.empty()) program = task.setup_code + "\n" + program;
    if (task.assert_style()) {
        v.tests = run_assert_tests(task, program, o);
        return summarize(v, o);
    }
    std::map<std::string, std::string> files = {{"main.py", program}};
    std::vector<std::string> argv = {o.python, "-I", "/box/main.py"};
    if (task.language == "cpp") {
        RunResult cc = compile_cpp(program, o);
        if (cc.status != RunResult::Status::kExited || cc.exit_code != 0) {
            v.verdict = "compile_error";
            v.detail = cc.status == RunResult::Status::kSandboxError ? cc.error
                       : cc.status == RunResult::Status::kTimeout    ? "the compiler ran past its time limit"
                                                                       : tail(cc.err, 2000);
            return v;
        }
        files = {{"a.out", cc.out}};
        argv = {"/box/a.out"};
    }
    bool failed = false;
    for (size_t i = 0; i < task.inputs.size(); ++i) {
        TestResult t = failed && o.fail_fast ? TestResult{"wrong_answer", 0, 0, 0, "not run (fail_fast)"}
                                             : run_stdio_test(task, i, files, argv, o);
        failed = failed || t.verdict != "accepted";
        v.tests.push_back(t);
    }
    return summarize(v, o);
}

CodeVerifierPool::CodeVerifierPool(CodeVerifyOptions options, int workers) : options_(std::move(options)) {
    if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
}

CodeVerifierPool::~CodeVerifierPool() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

std::future<CodeVerdict> CodeVerifierPool::submit(CodeTask task) {
    std::packaged_task<CodeVerdict()> job([this, t = std::move(task)] { return verify_code(t, options_); });
    auto f = job.get_future();
    {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(std::move(job));
    }
    cv_.notify_one();
    return f;
}

void CodeVerifierPool::loop() {
    for (;;) {
        std::packaged_task<CodeVerdict()> job;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job();
    }
}

}  // namespace aha::verifiers::code
