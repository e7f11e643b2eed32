// The sandbox supervisor; see sandbox.h and sandbox_helper.cpp.
#include "verifiers/code/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/posix.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

#include "core/error.h"
#include "core/files.h"

namespace aha::verifiers::code {

namespace bp = boost::process;

namespace {

std::string temp_base() {
    const char* base = std::getenv("TMPDIR");
    return base && *base ? base : "/tmp";
}

// The mount point of every run's private root. One directory serves all runs: each mounts its root in
// its own mount namespace, invisible to the others. Removed when the process exits.
class RootMountPoint {
public:
    RootMountPoint() : path_(temp_base() + "/aha-sandbox-root-" + std::to_string(getpid())) {
        mkdir(path_.c_str(), 0755);
        chmod(path_.c_str(), 0755);
    }
    ~RootMountPoint() { rmdir(path_.c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// A fresh directory for one run's files (bound read-only at /box), removed afterwards.
class BoxDirectory {
public:
    explicit BoxDirectory(const std::map<std::string, std::string>& files) {
        std::string pattern = temp_base() + "/aha-sandbox-XXXXXX";
        if (!mkdtemp(pattern.data())) throw IoError(pattern + ": cannot create (" + std::strerror(errno) + ")");
        path_ = pattern;
        chmod(path_.c_str(), 0755);  // the sandbox runs as another uid (nobody, when aha runs as root)
        for (const auto& [name, content] : files) {
            const std::string file = path_ + "/" + name;
            std::ofstream f(file, std::ios::binary);
            f << content;
            f.close();
            if (!f) throw IoError(file + ": cannot write");
            chmod(file.c_str(), 0755);  // readable by the sandbox uid; a.out runs
            names_.push_back(file);
        }
    }
    ~BoxDirectory() {
        for (const auto& f : names_) unlink(f.c_str());
        if (rmdir(path_.c_str()) != 0) {  // something else in it (weak mode): remove all
            try {
                remove_tree(path_);  // not std::filesystem: LibTorch's copies of it crash (core/files.cpp)
            } catch (const Error&) {
            }
        }
    }
    BoxDirectory(const BoxDirectory&) = delete;
    BoxDirectory& operator=(const BoxDirectory&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::vector<std::string> names_;
};

// This version of Boost.Process has no way to close one end of a pipe.
void close_source(bp::pipe& p) {
    ::close(p.native_source());
    p.assign_source(-1);
}

void close_sink(bp::pipe& p) {
    ::close(p.native_sink());
    p.assign_sink(-1);
}

bool executable(const std::string& p) { return !p.empty() && access(p.c_str(), X_OK) == 0; }

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// The helper's status line: "exit N", "signal N" or "error MESSAGE".
void apply_status(const std::string& line, RunResult& r) {
    std::string s = line;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.rfind("exit ", 0) == 0) {
        r.status = RunResult::Status::kExited;
        r.exit_code = std::atoi(s.c_str() + 5);
    } else if (s.rfind("signal ", 0) == 0) {
        r.status = RunResult::Status::kSignaled;
        r.signal = std::atoi(s.c_str() + 7);
    } else {
        r.status = RunResult::Status::kSandboxError;
        r.error = s.rfind("error ", 0) == 0 ? s.substr(6) : "the sandbox helper ended without a status";
    }
}

std::string default_helper() {
    if (const char* env = std::getenv("AHA_SANDBOX_HELPER"); env && *env) return env;
    std::string beside;
    try {
        beside = executable_directory() + "/aha-sandbox";
    } catch (const IoError&) {
    }
    if (executable(beside)) return beside;
#ifdef AHA_SANDBOX_HELPER_BUILT
    return AHA_SANDBOX_HELPER_BUILT;
#else
    return beside;
#endif
}

}  // namespace

std::string sandbox_helper_path(const SandboxOptions& o) {
    if (!o.helper.empty()) return o.helper;
    static const std::string found = default_helper();
    return found;
}

namespace {

// The helper's command line for one run.
std::vector<std::string> helper_args(const SandboxOptions& o, const std::string& box, const std::string& root,
                                     const std::vector<std::string>& argv) {
    const SandboxLimits& l = o.limits;
    std::vector<std::string> args = {
        "--box", box, "--root", root, "--cpu", std::to_string(l.cpu_seconds),
        "--memory", std::to_string(l.memory_bytes), "--processes", std::to_string(l.processes),
        "--open-files", std::to_string(l.open_files), "--file-size", std::to_string(l.file_size_bytes),
        "--tmp-size", std::to_string(l.tmp_bytes)};
    if (o.mode == "weak") args.emplace_back("--weak");
    for (const auto& p : o.read_only) args.insert(args.end(), {"--read-only", p});
    args.emplace_back("--");
    args.insert(args.end(), argv.begin(), argv.end());
    return args;
}

// The supervisor's side of a run's pipes: stdin fed without blocking while stdout, stderr and the
// helper's status pipe are drained, so that no pipe can fill up and stall the other side.
class RunIo {
public:
    RunIo(bp::pipe& in, bp::pipe& out, bp::pipe& err, bp::pipe& status, const std::string& stdin_data, RunResult& r)
        : in_(in), fout_(out.native_source()), ferr_(err.native_source()), fstatus_(status.native_source()),
          data_(stdin_data), r_(r) {
        for (int fd : {in.native_sink(), fout_, ferr_, fstatus_}) set_nonblocking(fd);
        if (data_.empty()) close_stdin();
    }
    ~RunIo() { close_stdin(); }

    // Pumps until the helper has reported and its output is read (a leftover process holding the
    // output open, in weak mode, is given 0.2 s), or until the deadline or an output cap. Returns true
    // when the run must be killed; r.status then says why.
    bool run(std::chrono::steady_clock::time_point deadline, long long cap) {
        bool reported = false;
        while (out_open_ || err_open_ || status_open_) {
            const auto now = std::chrono::steady_clock::now();
            if (!status_open_ && !reported) {
                reported = true;
                deadline = std::min(deadline, now + std::chrono::milliseconds(200));
            }
            if (now >= deadline) {
                if (reported) return false;
                r_.status = RunResult::Status::kTimeout;
                return true;
            }
            const int wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
            if (poll_once(wait_ms, cap)) return true;
        }
        return false;
    }

    const std::string& status_line() const { return status_; }

private:
    bool poll_once(int wait_ms, long long cap) {
        pollfd fds[4];
        int n = 0;
        auto add = [&](int fd, short events) { fds[n++] = pollfd{fd, events, 0}; };
        if (out_open_) add(fout_, POLLIN);
        if (err_open_) add(ferr_, POLLIN);
        if (status_open_) add(fstatus_, POLLIN);
        if (in_open_) add(in_.native_sink(), POLLOUT);
        if (poll(fds, static_cast<nfds_t>(n), wait_ms) < 0 && errno != EINTR) throw IoError("poll failed");
        for (int k = 0; k < n; ++k) {
            if (!fds[k].revents) continue;
            if (fds[k].fd == in_.native_sink() && in_open_) {
                feed();
            } else if (drain(fds[k].fd, cap)) {
                r_.status = RunResult::Status::kOutputLimit;
                return true;
            }
        }
        return false;
    }

    void feed() {
        const ssize_t w = write(in_.native_sink(), data_.data() + fed_, data_.size() - fed_);
        if (w > 0) fed_ += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) fed_ = data_.size();  // the program closed its stdin
        if (fed_ >= data_.size()) close_stdin();
    }

    // Reads what is there; true when stdout or stderr passed the cap.
    bool drain(int fd, long long cap) {
        char buf[65536];
        const ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EAGAIN) return false;
        if (got <= 0) {
            (fd == fout_ ? out_open_ : fd == ferr_ ? err_open_ : status_open_) = false;
            return false;
        }
        std::string& dst = fd == fout_ ? r_.out : fd == ferr_ ? r_.err : status_;
        dst.append(buf, static_cast<size_t>(got));
        if (fd == fstatus_ || static_cast<long long>(dst.size()) <= cap) return false;
        dst.resize(static_cast<size_t>(cap));
        return true;
    }

    void close_stdin() {
        if (in_open_) close_sink(in_);
        in_open_ = false;
    }

    bp::pipe& in_;
    const int fout_, ferr_, fstatus_;
    const std::string& data_;
    RunResult& r_;
    std::string status_;
    size_t fed_ = 0;
    bool in_open_ = true, out_open_ = true, err_open_ = true, status_open_ = true;
};

}  // namespace

RunResult run_sandboxed(const SandboxOptions& o, const std::map<std::string, std::string>& files,
                        const std::vector<std::string>& argv, const std::string& stdin_data) {
    // A program that exits without reading its stdin must not take the supervisor with it: writes to
    // its pipe then fail with EPIPE instead of raising SIGPIPE (left alone if the caller handles it).
    static std::once_flag sigpipe;
    std::call_once(sigpipe, [] {
        struct sigaction old {};
        if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
    });
    RunResult r;
    const auto start = std::chrono::steady_clock::now();
    try {
        static RootMountPoint root;
        BoxDirectory box(files);
        bp::pipe in, out, err, status;
        bp::environment empty_env;
        empty_env.clear();
        bp::child child(sandbox_helper_path(o), bp::args(helper_args(o, box.path(), root.path(), argv)), bp::std_in < in,
                        bp::std_out > out, bp::std_err > err, bp::posix::fd.bind(3, status.native_sink()), empty_env);
        close_source(in);
        close_sink(out);
        close_sink(err);
        close_sink(status);
        RunIo io(in, out, err, status, stdin_data, r);
        const auto wall = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(o.limits.wall_seconds));
        const bool kill_it = io.run(start + wall, o.limits.output_bytes);
        // The helper's death takes the init (PDEATHSIG) and with it the whole PID namespace.
        if (kill_it) kill(child.id(), SIGKILL);
        child.wait();
        if (!kill_it) apply_status(io.status_line(), r);
    } catch (const std::exception& e) {
        r.status = RunResult::Status::kSandboxError;
        r.error = e.what();
    }
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

void check_sandbox(const SandboxOptions& o) {
    const std::string helper = sandbox_helper_path(o);
    if (!executable(helper)) {
        throw SandboxError(helper + ": the sandbox helper aha-sandbox is missing or not executable",
                           "build it with scripts/build.sh, or set sandbox.helper / AHA_SANDBOX_HELPER");
    }
    static std::mutex mu;
    static std::map<std::string, std::string> checked;  // helper + mode -> error ("" when it works)
    std::lock_guard<std::mutex> lock(mu);
    const std::string key = helper + "\n" + o.mode;
    auto it = checked.find(key);
    if (it == checked.end()) {
        SandboxOptions probe = o;
        probe.limits.wall_seconds = 20;
        RunResult r = run_sandboxed(probe, {}, {"/bin/true"}, "");
        std::string error;
        if (r.status != RunResult::Status::kExited || r.exit_code != 0) {
            error = r.status == RunResult::Status::kSandboxError ? r.error : "a trivial program did not exit 0";
        }
        it = checked.emplace(key, error).first;
    }
    if (!it->second.empty()) {
        if (o.mode == "weak") throw SandboxError("the weak code sandbox cannot start: " + it->second);
        throw SandboxError("the code sandbox cannot isolate programs on this host: " + it->second +
                               ". Untrusted code will not be run.",
                           "namespaces may be forbidden here (e.g. an unprivileged container). To run anyway "
                           "with rlimits + seccomp + a separate uid only, set sandbox.mode = \"weak\" "
                           "(aha verify code --sandbox weak); see README, Code verifier");
    }
}

}  // namespace aha::verifiers::code
