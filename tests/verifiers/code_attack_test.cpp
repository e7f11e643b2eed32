// The sandbox against real hostile programs. Each case runs the program through the supervisor and
// checks the verdict AND the host: no file outside changed, no secret read, no connection made, no
// process of the program left over (its argv carries a unique marker that /proc is searched for).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "verifiers/code/sandbox.h"
#include "verifiers/code/verify.h"
#include "tests/verifiers/namespaces.h"

namespace aha::verifiers::code {
namespace {

namespace fs = std::filesystem;
using Status = RunResult::Status;

const char* kPython = "/usr/bin/python3";

class AttackTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is missing";
        if (!host_allows_namespaces()) GTEST_SKIP() << "this host forbids user namespaces: the strict sandbox cannot run here";
        options_.limits.wall_seconds = 4;
        options_.limits.cpu_seconds = 2;
        options_.limits.memory_bytes = 512LL << 20;
        options_.limits.processes = 16;
        options_.limits.output_bytes = 1 << 20;
        options_.limits.tmp_bytes = 8 << 20;
        options_.limits.file_size_bytes = 4 << 20;
        check_sandbox(options_);
        outside_ = fs::temp_directory_path() / ("aha-attack-" + std::to_string(getpid()));
        fs::create_directories(outside_);
    }
    void TearDown() override {
        std::error_code ec;
        if (!outside_.empty()) fs::remove_all(outside_, ec);
    }

    // Runs `code` as /box/<marker>.py; afterwards no process with the marker may exist.
    RunResult attack(const std::string& name, const std::string& code, const std::string& stdin_data = "") {
        marker_ = "aha_attack_" + name + "_" + std::to_string(getpid());
        RunResult r = run_sandboxed(options_, {{marker_ + ".py", code}}, {kPython, "-I", "/box/" + marker_ + ".py"}, stdin_data);
        EXPECT_NE(r.status, Status::kSandboxError) << r.error;
        EXPECT_EQ(leftover(marker_), 0) << name << ": processes of the program survived";
        return r;
    }

    static int leftover(const std::string& marker) {
        int n = 0;
        for (int attempt = 0; attempt < 20; ++attempt) {  // a killed namespace takes a moment to be reaped
            n = 0;
            for (const auto& e : fs::directory_iterator("/proc")) {
                std::ifstream f(e.path() / "cmdline", std::ios::binary);
                std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
                if (cmd.find(marker) != std::string::npos) ++n;
            }
            if (n == 0) return 0;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return n;
    }

    std::string verdict(const RunResult& r) const {
        std::string v = classify_run(r, options_.limits).verdict;
        return v.empty() ? "exited 0" : v;
    }

    SandboxOptions options_;
    fs::path outside_;
    std::string marker_;
};

// Resource attacks end in the right verdict.
TEST_F(AttackTest, ForkBombIsContained) {
    RunResult r = attack("forkbomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n");
    EXPECT_TRUE(r.status == Status::kTimeout || r.status == Status::kSignaled) << static_cast<int>(r.status);
}

TEST_F(AttackTest, ThreadBombHitsTheProcessLimit) {
    RunResult r = attack("threadbomb",
                         "import threading, time\nn = 0\ntry:\n    while True:\n"
                         "        threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n        n += 1\n"
                         "except (RuntimeError, MemoryError):\n    print('stopped at', n)\n");
    ASSERT_EQ(r.status, Status::kExited) << r.err;
    EXPECT_NE(r.out.find("stopped at"), std::string::npos);
}

TEST_F(AttackTest, MemoryBombIsAMemoryLimit) {
    RunResult r = attack("membomb", "x = []\nwhile True:\n    x.append(' ' * 10**7)\n");
    EXPECT_EQ(verdict(r), "memory_limit");
}

TEST_F(AttackTest, HugePowerRunsOutOfTime) {
    RunResult r = attack("bigpow", "x = 10**10**8\nprint(len(str(x)))\n");
    EXPECT_EQ(verdict(r), "time_limit");
}

TEST_F(AttackTest, InfiniteLoopAndSleepAreTimeLimits) {
    EXPECT_EQ(verdict(attack("loop", "while True:\n    pass\n")), "time_limit");
    RunResult r = attack("sleep", "import time\ntime.sleep(60)\n");
    EXPECT_EQ(r.status, Status::kTimeout);
    EXPECT_LT(r.wall_seconds, 6.0);
}

TEST_F(AttackTest, EndlessOutputIsCutWithAndWithoutNewlines) {
    EXPECT_EQ(attack("spam_lines", "while True:\n    print('y' * 100)\n").status, Status::kOutputLimit);
    RunResult r = attack("spam_raw", "import sys\nwhile True:\n    sys.stdout.write('z' * 4096)\n");
    EXPECT_EQ(r.status, Status::kOutputLimit);
    EXPECT_LE(r.out.size(), static_cast<size_t>(1 << 20));
    EXPECT_EQ(attack("spam_err", "import sys\nwhile True:\n    sys.stderr.write('e' * 4096)\n").status, Status::kOutputLimit);
}

TEST_F(AttackTest, DeepRecursionEndsInAFailureVerdict) {
    // Python 3.11 keeps Python frames off the C stack: unbounded recursion runs into memory or time.
    RunResult r = attack("recursion", "import sys\nsys.setrecursionlimit(10**9)\ndef f(n):\n    return f(n + 1) + 1\nf(0)\n");
    EXPECT_TRUE(verdict(r) == "runtime_error" || verdict(r) == "memory_limit" || verdict(r) == "time_limit") << verdict(r);
    // Through the C stack (a recursive repr): a crash or a RecursionError, never a hang.
    RunResult c = attack("crecursion", "import sys\nsys.setrecursionlimit(10**9)\nx = []\nfor _ in range(10**6):\n    x = [x]\nprint(len(repr(x)))\n");
    EXPECT_TRUE(verdict(c) == "runtime_error" || verdict(c) == "memory_limit") << verdict(c) << c.err;
}

// The file system.
TEST_F(AttackTest, WritesOutsideTheSandboxFail) {
    const fs::path target = outside_ / "target.txt";
    { std::ofstream(target) << "original"; }
    RunResult r = attack("write_out",
                         "import os\nfor p in ['" + target.string() + "', '/etc/passwd', '/usr/bin/python3', '/box/x', '/x']:\n"
                         "    try:\n        open(p, 'w').write('owned')\n        print('WROTE', p)\n"
                         "    except OSError as e:\n        print('denied', p, e.errno)\n");
    ASSERT_EQ(r.status, Status::kExited) << r.err;
    EXPECT_EQ(r.out.find("WROTE"), std::string::npos) << r.out;
    std::ifstream f(target);
    std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "original");
}

TEST_F(AttackTest, SecretFilesOutsideAreInvisible) {
    const fs::path secret = outside_ / "secret.txt";
    { std::ofstream(secret) << "TOPSECRET-" << getpid(); }
    RunResult r = attack("read_secret",
                         "import os\ntry:\n    print(open('" + secret.string() + "').read())\nexcept OSError as e:\n    print('no', e.errno)\n"
                         "for root, dirs, files in os.walk('/'):\n    if root == '/':\n        dirs[:] = [d for d in dirs if d not in ('proc', 'usr')]\n"
                         "    for n in files:\n        if n == 'secret.txt':\n            print(open(os.path.join(root, n)).read())\n"
                         "print(sorted(os.listdir('/')))\n");
    ASSERT_EQ(r.status, Status::kExited) << r.err;
    EXPECT_EQ(r.out.find("TOPSECRET"), std::string::npos) << r.out;
}

TEST_F(AttackTest, TheEnvironmentIsEmptyAndTheHostsIsUnreachable) {
    setenv("AHA_ATTACK_SECRET", "ENVSECRET", 1);
    RunResult r = attack("environ",
                         "import os\nprint(dict(os.environ))\nfor p in ['/proc/1/environ', '/proc/self/environ', '/proc/2/environ']:\n"
                         "    try:\n        print(open(p, 'rb').read())\n    except OSError as e:\n        print('no', p)\n"
                         "print(os.listdir('/proc') if os.path.exists('/proc') else 'no proc')\n");
    unsetenv("AHA_ATTACK_SECRET");
    ASSERT_EQ(r.status, Status::kExited) << r.err;
    EXPECT_EQ(r.out.find("ENVSECRET"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("PATH"), std::string::npos) << r.out;
}

TEST_F(AttackTest, FillingTmpAndDescriptorsStopsAtTheLimits) {
    RunResult r = attack("fill_tmp",
                         "n = 0\ntry:\n    for i in range(1000):\n        with open('/tmp/f%d' % i, 'wb') as f:\n"
                         "            f.write(b'x' * (1 << 20))\n        n += 1\nexcept OSError as e:\n    print('full after', n, 'MiB', e.errno)\n");
    ASSERT_EQ(r.status, Status::kExited) << r.err;
    EXPECT_NE(r.out.find("full after"), std::string::npos) << r.out;
    RunResult fds = attack("fill_fds",
                           "import os\nfds = []\ntry:\n    while True:\n        fds.append(os.open('/dev/null', os.O_RDONLY))\n"
                           "except OSError as e:\n    print('open files', len(fds), e.errno)\n");
    ASSERT_EQ(fds.status, Status::kExited) << fds.err;
    EXPECT_NE(fds.out.find("open files"), std::string::npos);
}

// The network.
TEST_F(AttackTest, NoConnectionToAHostServer) {
    int server = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(server, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(server, 4), 0);
    socklen_t len = sizeof addr;
    getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);
    const int port = ntohs(addr.sin_port);
    RunResult r = attack("tcp",
                         "import socket\ntry:\n    s = socket.create_connection(('127.0.0.1', " + std::to_string(port) +
                             "), timeout=1)\n    s.sendall(b'hello')\n    print('CONNECTED')\nexcept OSError as e:\n    print('refused', e)\n");
    EXPECT_EQ(r.out.find("CONNECTED"), std::string::npos) << r.out;
    EXPECT_LT(accept(server, nullptr, nullptr), 0);  // nobody knocked
    close(server);
}

TEST_F(AttackTest, NoDnsAndNoRawSockets) {
    RunResult r = attack("dns_raw",
                         "import socket\ntry:\n    print('RESOLVED', socket.getaddrinfo('example.com', 80))\nexcept OSError as e:\n    print('no dns')\n"
                         "for fam, kind in [(socket.AF_INET, socket.SOCK_RAW), (socket.AF_PACKET, socket.SOCK_RAW), (socket.AF_INET6, socket.SOCK_DGRAM), (socket.AF_NETLINK, socket.SOCK_RAW)]:\n"
                         "    try:\n        socket.socket(fam, kind)\n        print('SOCKET', fam)\n    except OSError as e:\n        print('denied', e.errno)\n");
    ASSERT_EQ(r.status, Status::kExited) << r.err;
    EXPECT_EQ(r.out.find("RESOLVED"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("SOCKET"), std::string::npos) << r.out;
}

// Processes and signals.
TEST_F(AttackTest, KillingTheParentOrEveryoneHarmsNothingOutside) {
    pid_t canary = fork();
    if (canary == 0) {
        sleep(30);
        _exit(0);
    }
    RunResult r = attack("kill_parent", "import os, signal\nos.kill(os.getppid(), 9)\nprint('alive', os.getppid())\n");
    EXPECT_NE(r.out.find("alive"), std::string::npos) << r.out << r.err;
    RunResult all = attack("kill_all", "import os\ntry:\n    os.kill(-1, 9)\nexcept OSError as e:\n    print('kill -1 failed', e)\nprint('done')\n");
    EXPECT_NE(all.status, Status::kSandboxError);
    EXPECT_EQ(kill(canary, 0), 0) << "a host process died";
    EXPECT_EQ(kill(getppid(), 0), 0);
    kill(canary, SIGKILL);
    waitpid(canary, nullptr, 0);
}

TEST_F(AttackTest, ADoubleForkedDaemonDoesNotSurvive) {
    RunResult r = attack("daemon",
                         "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(100)\n"
                         "    os._exit(0)\nprint('parent done')\n");
    EXPECT_EQ(r.status, Status::kExited);
    EXPECT_LT(r.wall_seconds, 3.0);  // the supervisor did not wait for the daemon
}

TEST_F(AttackTest, PtraceCtypesSetuidMountAndUnshareAreDenied) {
    RunResult r = attack("privileged",
                         "import ctypes, os, time\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                         "child = os.fork()\nif child == 0:\n    time.sleep(5)\n    os._exit(0)\n"
                         "print('ptrace', libc.ptrace(16, child, 0, 0), ctypes.get_errno())\n"
                         "print('mount', libc.mount(b'tmpfs', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())\n"
                         "print('unshare', libc.unshare(0x10000000), ctypes.get_errno())\n"
                         "print('setns', libc.setns(0, 0), ctypes.get_errno())\n"
                         "try:\n    os.setuid(0)\n    print('SETUID OK')\nexcept OSError as e:\n    print('setuid', e.errno)\n"
                         "for nr, name in [(321, 'bpf'), (298, 'perf_event_open'), (323, 'userfaultfd'), (425, 'io_uring_setup'), (250, 'keyctl'), (246, 'kexec_load'), (313, 'finit_module')]:\n"
                         "    print(name, libc.syscall(nr, 0, 0, 0, 0, 0), ctypes.get_errno())\n"
                         "print('tiocsti', libc.ioctl(0, 0x5412, ctypes.c_char_p(b'x')), ctypes.get_errno())\n"
                         "os.kill(child, 9)\n");
    ASSERT_EQ(r.status, Status::kExited) << r.err;
    for (const char* call : {"ptrace", "mount", "unshare", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
                             "keyctl", "kexec_load", "finit_module", "tiocsti"}) {
        EXPECT_NE(r.out.find(std::string(call) + " -1 1\n"), std::string::npos) << call << " was not denied with EPERM:\n" << r.out;
    }
    EXPECT_EQ(r.out.find("SETUID OK"), std::string::npos);
}

TEST_F(AttackTest, TheProgramSeesOnlyItsOwnNamespace) {
    RunResult r = attack("namespace",
                         "import os, socket\nprint('pid', os.getpid(), 'uid', os.getuid(), 'host', socket.gethostname())\n"
                         "print('procs', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n");
    ASSERT_EQ(r.status, Status::kExited) << r.err;
    EXPECT_NE(r.out.find("pid 2 uid 1000 host sandbox"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("procs [1, 2]"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace aha::verifiers::code
