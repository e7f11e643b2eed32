// The code verifier's harnesses: extraction, the judge comparison, task parsing, and whole verifications
// (stdin/stdout in Python and C++, assert style), including the reward hacks the assert harness must
// not reward.
#include "verifiers/code/verify.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "core/error.h"
#include "verifiers/code/harness.h"
#include "tests/verifiers/namespaces.h"

namespace aha::verifiers::code {
namespace {

TEST(CodeExtractTest, LastBlockInTheLanguageElseLastUntagged) {
    const std::string text = "first\n```python\nprint(1)\n```\nthen\n```\nuntagged\n```\n```py\nprint(2)\n```\n```cpp\nint main(){}\n```\n";
    EXPECT_EQ(extract_program(text, "python"), "print(2)\n");
    EXPECT_EQ(extract_program(text, "cpp"), "int main(){}\n");
    EXPECT_EQ(extract_program("```\nx = 1\n```", "python"), "x = 1\n");
    EXPECT_FALSE(extract_program("no code here", "python"));
    EXPECT_FALSE(extract_program("```python\nunclosed", "python"));
}

TEST(CodeOutputTest, LinesTokensIntegersAndFloats) {
    EXPECT_TRUE(outputs_match("1 2\n3\n", "1 2  \n3", 1e-6));        // trailing spaces and newlines
    EXPECT_TRUE(outputs_match("1 2\n3\n\n\n", "1   2\n3\n", 1e-6));   // token-wise inside a line
    EXPECT_FALSE(outputs_match("1 2\n3", "1 2 3", 1e-6));             // the same number of lines
    EXPECT_FALSE(outputs_match("1\n\n2", "1\n2", 1e-6));              // inner empty lines count
    EXPECT_FALSE(outputs_match("10", "10.0", 1e-6));                  // integers exactly
    EXPECT_FALSE(outputs_match("007", "7", 1e-6));
    EXPECT_TRUE(outputs_match("0.3", "0.30000000000000004", 1e-6));   // floats within tolerance
    EXPECT_TRUE(outputs_match("1e9", "1000000000.5", 1e-6));          // relative
    EXPECT_FALSE(outputs_match("0.3", "0.31", 1e-6));
    EXPECT_FALSE(outputs_match("0.5", "abc", 1e-6));
    EXPECT_FALSE(outputs_match("YES", "yes", 1e-6));
}

TEST(CodeTaskTest, ParsesBothTestStylesAndNamesBadKeys) {
    CodeTask t = CodeTask::from_json(Json::parse(R"J({"program": "x", "tests": {"inputs": ["1"], "outputs": ["2"]}})J"), "f:1");
    EXPECT_EQ(t.inputs.size(), 1u);
    t = CodeTask::from_json(Json::parse(R"J({"completion": "x", "tests": [{"input": "1", "output": "2"}]})J"), "f:2");
    EXPECT_EQ(t.outputs[0], "2");
    t = CodeTask::from_json(Json::parse(R"J({"program": "x", "tests": {"test_code": ["assert 1", "assert 2"], "entry_point": "f"}})J"), "f:3");
    EXPECT_EQ(t.test_code.size(), 2u);
    auto error = [](const char* line) {
        try {
            CodeTask::from_json(Json::parse(line), "tasks.jsonl:7");
        } catch (const FormatError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    {
        EXPECT_NE(error(R"J({"program": "x", "tests": {"inputs": ["1"]}})J").find("tasks.jsonl:7"), std::string::npos);
        EXPECT_NE(error(R"J({"program": "x", "tests": {"inputs": ["1"], "outputs": []}})J").find("1 inputs but 0 outputs"), std::string::npos);
        EXPECT_NE(error(R"J({"program": "x", "tests": {"inputz": []}})J").find("unknown key \"inputz\""), std::string::npos);
        EXPECT_NE(error(R"J({"program": "x", "completion": "y", "tests": {"inputs": [], "outputs": []}})J").find("exactly one"), std::string::npos);
        EXPECT_NE(error(R"J({"program": "x", "language": "rust", "tests": {"inputs": ["1"], "outputs": ["1"]}})J").find("rust"), std::string::npos);
        EXPECT_NE(error(R"J({"program": 5, "tests": {"inputs": ["1"], "outputs": ["1"]}})J").find("\"program\" must be a string"), std::string::npos);
        EXPECT_NE(error(R"J({"program": "x", "language": "cpp", "tests": {"test_code": "assert 1"}})J").find("Python"), std::string::npos);
    }
}

TEST(CodeOptionsTest, ConfigKeysLimitsAndErrors) {
    Json j = Json::parse(R"J({"timeout_s": 3, "memory_mb": 256, "reward": "fraction", "mode": "weak", "read_only_paths": ["/opt/py"]})J");
    CodeVerifyOptions o = CodeVerifyOptions::from_json(ConfigReader(j, "reward.code"));
    o.validate("reward.code");
    EXPECT_EQ(o.sandbox.limits.wall_seconds, 3);
    EXPECT_EQ(o.sandbox.limits.memory_bytes, 256LL << 20);
    EXPECT_EQ(o.sandbox.mode, "weak");
    Json bad = Json::parse(R"J({"timeout": 3})J");
    EXPECT_THROW(CodeVerifyOptions::from_json(ConfigReader(bad, "reward.code")), ConfigError);
    o.reward = "best";
    EXPECT_THROW(o.validate("reward.code"), ConfigError);
    o.reward = "all_pass";
    o.sandbox.read_only = {"relative/path"};
    EXPECT_THROW(o.validate("reward.code"), ConfigError);
}

class CodeVerifyTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "/usr/bin/python3 is missing";
        if (!host_allows_namespaces()) GTEST_SKIP() << "this host forbids user namespaces: the strict sandbox cannot run here";
        o_.sandbox.limits.wall_seconds = 5;
        o_.sandbox.limits.cpu_seconds = 3;
        check_sandbox(o_.sandbox);
    }
    CodeVerdict run(const std::string& line) { return verify_code(CodeTask::from_json(Json::parse(line), "test"), o_); }
    CodeVerifyOptions o_;
};

TEST_F(CodeVerifyTest, StdinStdoutPythonAndFractionReward) {
    const std::string tests = R"J("tests": {"inputs": ["1 2\n", "5 5\n", "0 -3\n"], "outputs": ["3\n", "10", "-3\n"]})J";
    CodeVerdict v = run(R"J({"program": "a, b = map(int, input().split())\nprint(a + b)", )J" + tests + "}");
    EXPECT_EQ(v.verdict, "accepted");
    EXPECT_EQ(v.passed, 3);
    EXPECT_EQ(v.reward, 1.0);
    v = run(R"J({"program": "a, b = map(int, input().split())\nprint(abs(a + b))", )J" + tests + "}");  // a mutation
    EXPECT_EQ(v.verdict, "wrong_answer");
    EXPECT_EQ(v.passed, 2);
    EXPECT_EQ(v.reward, 0.0);
    o_.reward = "fraction";
    EXPECT_NEAR(run(R"J({"program": "a, b = map(int, input().split())\nprint(abs(a + b))", )J" + tests + "}").reward, 2.0 / 3, 1e-12);
}

TEST_F(CodeVerifyTest, LargeStdinUnreadOrEchoedAndACustomChecker) {
    const std::string big(8 << 20, 'x');
    // The program exits without reading 8 MiB of stdin: no deadlock, no SIGPIPE for the supervisor.
    EXPECT_EQ(verify_code(CodeTask::from_json(Json({{"program", "print(1)"}, {"tests", {{"inputs", {big}}, {"outputs", {"1"}}}}}), "t"), o_).verdict, "accepted");
    // It reads all of it while writing as much back: stdin is fed while stdout is drained.
    o_.sandbox.limits.output_bytes = 16 << 20;
    EXPECT_EQ(verify_code(CodeTask::from_json(Json({{"program", "import sys\nsys.stdout.write(sys.stdin.read())"}, {"tests", {{"inputs", {big}}, {"outputs", {big}}}}}), "t"), o_).verdict, "accepted");
    // A checker accepts any order of the two numbers.
    const std::string checker = "import sys\ngot = sorted(open(sys.argv[2]).read().split())\nwant = sorted(open(sys.argv[3]).read().split())\nsys.exit(0 if got == want else 1)\n";
    auto with_checker = [&](const std::string& program) {
        return verify_code(CodeTask::from_json(Json({{"program", program}, {"tests", {{"inputs", {"", ""}}, {"outputs", {"1 2", "1 2"}}, {"checker", checker}}}}), "t"), o_);
    };
    EXPECT_EQ(with_checker("print(2, 1)").verdict, "accepted");
    EXPECT_EQ(with_checker("print(2, 2)").verdict, "wrong_answer");
}

// What ordinary programs expect of a Linux box: /dev/stdin, POSIX semaphores (multiprocessing), threads.
TEST_F(CodeVerifyTest, OrdinaryProgramsFindWhatTheyExpect) {
    const char* programs[] = {
        "print(sum(map(int, open('/dev/stdin').read().split())))",
        "import multiprocessing as mp\nimport sys\nnums = list(map(int, sys.stdin.read().split()))\n"
        "with mp.Pool(2) as p:\n    print(sum(p.map(abs, nums)))",
        "import threading, sys\nnums = list(map(int, sys.stdin.read().split()))\nout = []\n"
        "t = threading.Thread(target=lambda: out.append(sum(nums)))\nt.start()\nt.join()\nprint(out[0])",
    };
    for (const char* p : programs) {
        CodeVerdict v = verify_code(CodeTask::from_json(Json({{"program", p}, {"tests", {{"inputs", {"1 2 3"}}, {"outputs", {"6"}}}}}), "t"), o_);
        EXPECT_EQ(v.verdict, "accepted") << p << "\n" << v.to_json().dump();
    }
}

TEST_F(CodeVerifyTest, CppIsCompiledInTheSandboxThenRun) {
    CodeVerdict v = run(R"J({"language": "cpp", "completion": "```cpp\n#include <cstdio>\nint main(){long a,b;scanf(\"%ld %ld\",&a,&b);printf(\"%ld\\n\",a*b);}\n```", "tests": {"inputs": ["6 7", "-2 3"], "outputs": ["42", "-6"]}})J");
    EXPECT_EQ(v.verdict, "accepted") << v.detail;
    v = run(R"J({"language": "cpp", "program": "#include \"/etc/shadow\"\nint main(){}", "tests": {"inputs": [""], "outputs": [""]}})J");
    EXPECT_EQ(v.verdict, "compile_error");
    EXPECT_EQ(v.detail.find("root:"), std::string::npos) << v.detail;  // the host's file is not there
    v = run(R"J({"language": "cpp", "program": "int main(){int *p = nullptr; return *p;}", "tests": {"inputs": [""], "outputs": [""]}})J");
    EXPECT_EQ(v.verdict, "runtime_error");
    EXPECT_EQ(v.tests[0].signal, 11);
    v = run(R"J({"language": "cpp", "program": "#include <cstring>\n#include <vector>\nint main(){std::vector<char*> v; for(;;){char* p = new char[1 << 24]; std::memset(p, 1, 1 << 24); v.push_back(p);}}", "tests": {"inputs": [""], "outputs": [""]}})J");
    EXPECT_EQ(v.verdict, "memory_limit") << v.to_json().dump();
    v = run(R"J({"language": "cpp", "program": "int main(){for(;;);}", "tests": {"inputs": [""], "outputs": [""]}})J");
    EXPECT_EQ(v.verdict, "time_limit");
}

TEST_F(CodeVerifyTest, AssertStyleHumanEvalCheckAndPerTestResults) {
    CodeVerdict v = run(R"J({"program": "def add(a, b):\n    return a + b\n", "tests": {"test_code": "def check(candidate):\n    assert candidate(2, 3) == 5\n", "entry_point": "add"}})J");
    EXPECT_EQ(v.verdict, "accepted");
    v = run(R"J({"program": "def add(a, b):\n    return a - b\n", "tests": {"test_code": ["assert add(2, 0) == 2", "assert add(2, 3) == 5", "assert add(1, 1) == 2"]}})J");
    EXPECT_EQ(v.passed, 1);
    EXPECT_EQ(v.verdict, "wrong_answer");
    v = run(R"J({"completion": "no code", "tests": {"test_code": "assert True"}})J");
    EXPECT_EQ(v.verdict, "no_code");
}

// Reward hacks: none of these may pass.
TEST_F(CodeVerifyTest, ExitBeforeTheAssertsDoesNotPass) {
    for (const char* exit_call : {"import sys\nsys.exit(0)", "import os\nos._exit(0)", "raise SystemExit(0)", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"}) {
        CodeVerdict v = run(Json({{"program", std::string(exit_call) + "\ndef f():\n    return 1\n"}, {"tests", {{"test_code", "assert f() == 2"}}}}).dump());
        EXPECT_NE(v.verdict, "accepted") << exit_call;
        EXPECT_EQ(v.reward, 0.0);
    }
    // Exiting from inside the tested function, during the asserts.
    CodeVerdict v = run(R"J({"program": "import os\ndef f():\n    os._exit(0)\n", "tests": {"test_code": "assert f() == 2"}})J");
    EXPECT_NE(v.verdict, "accepted");
}

TEST_F(CodeVerifyTest, AlwaysEqualObjectsDoNotPass) {
    const char* programs[] = {
        "class E:\n    def __eq__(self, o): return True\ndef f(x): return E()\n",
        "class E(int):\n    def __eq__(self, o): return True\n    __hash__ = int.__hash__\ndef f(x): return E(0)\n",
        "class E:\n    def __ne__(self, o): return False\n    def __eq__(self, o): return True\ndef f(x): return [E()]\n",
        "class E:\n    def __bool__(self): return True\ndef f(x): return E()\n",
        "class E:\n    def __eq__(self, o): return True\nclass Box:\n    def __init__(self): self.v = E()\ndef f(x): return Box().v\n",
        "import collections\ncollections.Counter.__eq__ = lambda a, b: True\ndef f(x): return collections.Counter()\n",
        "import collections\nclass E:\n    def __eq__(self, o): return True\ndef f(x): return collections.Counter({1: E()})\n",
        "import collections\nclass C(collections.Counter):\n    def __eq__(self, o): return True\ndef f(x): return C()\n",
    };
    for (const char* p : programs) {
        CodeVerdict v = run(Json({{"program", p}, {"tests", {{"test_code", "def check(candidate):\n    assert candidate(1) == 42\n    assert candidate(2)\n"}, {"entry_point", "f"}}}}).dump());
        EXPECT_NE(v.verdict, "accepted") << p;
    }
    // The standard library's own comparisons are fine (a Counter, a Fraction, a deque).
    CodeVerdict ok = run(R"J({"program": "import collections, fractions\ndef f(s): return collections.Counter(s)\ndef g(): return fractions.Fraction(1, 3)\ndef h(): return collections.deque([1])\n", "tests": {"test_code": ["assert f('aab') == {'a': 2, 'b': 1}", "assert g() == fractions.Fraction(2, 6)", "assert h() == collections.deque([1])"]}})J");
    EXPECT_EQ(ok.verdict, "accepted") << ok.to_json().dump();
    // A plain class that keeps the default comparisons is fine (LeetCode's ListNode).
    CodeVerdict v = run(R"J({"program": "class Node:\n    def __init__(self, v): self.v = v\ndef f(x): return Node(x)\n", "tests": {"test_code": "assert f(3).v == 3"}})J");
    EXPECT_EQ(v.verdict, "accepted");
}

TEST_F(CodeVerifyTest, FakePassLinesAndStdinTricksDoNotPass) {
    const char* programs[] = {
        "print('\\naha-00000000000000000000000000000000 1')\ndef f(): return 0\n",
        "import sys\nprint(sys.stdin.read())\nprint('aha- 1')\ndef f(): return 0\n",
        "import os\nos.close(1)\ndef f(): return 0\n",
        "import builtins\nbuiltins.AssertionError = Exception\ndef f(): return 0\n",
        "import atexit, os\natexit.register(lambda: os.write(1, b'\\naha-x 1\\n'))\ndef f(): return 0\n",
    };
    for (const char* p : programs) {
        CodeVerdict v = run(Json({{"program", p}, {"tests", {{"test_code", "assert f() == 1"}}}}).dump());
        EXPECT_NE(v.verdict, "accepted") << p;
    }
}

TEST_F(CodeVerifyTest, ThePoolAnswersInOrder) {
    CodeVerifierPool pool(o_, 2);
    std::vector<std::future<CodeVerdict>> results;
    for (int i = 0; i < 6; ++i) {
        const std::string program = "print(" + std::to_string(i) + ")";
        results.push_back(pool.submit(CodeTask::from_json(Json({{"program", program}, {"tests", {{"inputs", {""}}, {"outputs", {std::to_string(i % 3 ? i : -1)}}}}}), "pool")));
    }
    for (int i = 0; i < 6; ++i) EXPECT_EQ(results[i].get().verdict, i % 3 ? "accepted" : "wrong_answer") << i;
}

TEST(CodeSandboxTest, AHostThatForbidsNamespacesIsRefusedWithTheWayOut) {
    SandboxOptions o;
    o.helper = AHA_SOURCE_DIR "/tests/data/code/forbidding_helper.sh";
    try {
        check_sandbox(o);
        FAIL() << "no error";
    } catch (const SandboxError& e) {
        const std::string what = std::string(e.what()) + "\n" + e.hint();
        EXPECT_NE(what.find("cannot isolate programs on this host"), std::string::npos) << what;
        EXPECT_NE(what.find("Operation not permitted"), std::string::npos) << what;
        EXPECT_NE(what.find("sandbox.mode = \"weak\""), std::string::npos) << what;
    }
}

TEST_F(CodeVerifyTest, TheWeakModeRunsAndLimitsPrograms) {
    o_.sandbox.mode = "weak";
    check_sandbox(o_.sandbox);
    EXPECT_EQ(run(R"J({"program": "print(int(input()) * 2)", "tests": {"inputs": ["21"], "outputs": ["42"]}})J").verdict, "accepted");
    EXPECT_EQ(run(R"J({"program": "def f(): return 1", "tests": {"test_code": "assert f() == 1"}})J").verdict, "accepted");
    EXPECT_EQ(run(R"J({"program": "while True: pass", "tests": {"inputs": [""], "outputs": [""]}})J").verdict, "time_limit");
    CodeVerdict net = run(R"J({"program": "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_STREAM)", "tests": {"inputs": [""], "outputs": [""]}})J");
    EXPECT_EQ(net.verdict, "runtime_error");  // the seccomp filter still refuses inet sockets
}

TEST(CodeSandboxTest, AMissingHelperIsAClearError) {
    SandboxOptions o;
    o.helper = "/nonexistent/aha-sandbox";
    try {
        check_sandbox(o);
        FAIL() << "no error";
    } catch (const SandboxError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/aha-sandbox"), std::string::npos);
    }
}

}  // namespace
}  // namespace aha::verifiers::code
