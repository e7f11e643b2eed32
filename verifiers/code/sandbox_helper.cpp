// aha-sandbox: runs one untrusted program in isolation. The supervisor (verifiers/code/sandbox.cpp)
// starts it with the program's pipes on 0-2 and a status pipe on fd 3, and enforces the wall-clock limit
// by killing this process; everything here is set up before the program's first instruction.
//
// strict mode (default): this process H clones an init I into new user, PID, mount, network, IPC and UTS
// namespaces, writes I's uid/gid maps (the program's uid 1000 is the host's nobody when run as root, the
// caller's own uid otherwise) and lets it go. I builds a private root: a small tmpfs with read-only binds
// of /usr (and the merged-/usr links), /etc/ld.so.cache and /dev/{null,zero,urandom}, a /dev/shm, the
// /dev/std* links, a fresh /proc, the program's files at /box, and a size-limited writable /tmp; it
// pivots into it and forks the program
// P. P sets rlimits, drops capabilities, sets NO_NEW_PRIVS, loads the seccomp filter and execs with an
// empty environment. I reaps every process; when P exits, I reports P's status and exits, and the kernel
// kills whatever is left in the PID namespace. If H dies (killed on timeout), I dies with it
// (PDEATHSIG), and with I the whole namespace.
//
// weak mode (only when the user opts in, for hosts that forbid namespaces): P is a plain child with the
// same rlimits, seccomp filter, NO_NEW_PRIVS and empty environment, run as nobody when started as root,
// in its own session, with /box/ and /tmp/ in its command rewritten to the run's directory and a scratch
// directory in it. It sees the host's file system (as far as its uid may) and network namespace (the
// seccomp filter still refuses non-unix sockets); orphans it leaves are not guaranteed to die.
//
// Status line on fd 3: "exit N", "signal N", or "error MESSAGE" (a set-up failure, never the program's).
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/capability.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int kStatusFd = 3;
constexpr uid_t kInsideId = 1000;
constexpr uid_t kNobody = 65534;

struct Options {
    bool weak = false;
    std::string box;       // host directory with the program's files (read-only at /box)
    std::string root;      // empty host directory: the mount point of the private root
    std::string workdir = "/tmp";
    std::vector<std::string> read_only;  // extra host paths bound read-only at the same place
    long cpu_seconds = 10, processes = 32, open_files = 64;
    long long memory_bytes = 1LL << 30, file_size_bytes = 16LL << 20, tmp_bytes = 64LL << 20;
    std::vector<std::string> argv;  // the program and its arguments
};

[[noreturn]] void fail(const std::string& what) {
    const std::string msg = what + (errno ? std::string(": ") + std::strerror(errno) : "");
    throw std::runtime_error(msg);
}

void check(bool ok, const std::string& what) {
    if (!ok) fail(what);
}

// `s` with each "/box/" replaced by the run's directory and each "/tmp/" by its scratch directory, in
// one pass (the run's directory itself is usually under /tmp/).
std::string weak_path(const std::string& s, const std::string& box) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        if (s.compare(i, 5, "/box/") == 0) {
            out += box + "/";
            i += 5;
        } else if (s.compare(i, 5, "/tmp/") == 0) {
            out += box + "/tmp/";
            i += 5;
        } else {
            out += s[i++];
        }
    }
    return out;
}

void write_file(const std::string& path, const std::string& text) {
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    check(fd >= 0, "open " + path);
    const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    check(ok, "write " + path);
}

// Read-only bind of src at dst, keeping the flags the kernel locks on src's mount (a user namespace may
// not clear nosuid/nodev/noexec or atime flags it inherited).
void bind_read_only(const std::string& src, const std::string& dst) {
    struct statvfs vfs {};
    check(statvfs(src.c_str(), &vfs) == 0, "statvfs " + src);
    check(mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) == 0, "bind " + src);
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
    if (vfs.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (vfs.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (vfs.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (vfs.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (vfs.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    check(mount(nullptr, dst.c_str(), nullptr, flags, nullptr) == 0, "remount read-only " + dst);
}

// Creates dst inside the new root like src (a directory, an empty file, or the same symlink) and binds
// it; missing sources are skipped (not every system has /lib64).
void mirror(const std::string& src, const std::string& root) {
    struct stat st {};
    if (lstat(src.c_str(), &st) != 0) return;
    const std::string dst = root + src;
    // Parents first (for /etc/ssl/...).
    for (size_t p = dst.find('/', root.size() + 1); p != std::string::npos; p = dst.find('/', p + 1)) {
        mkdir(dst.substr(0, p).c_str(), 0755);
    }
    if (S_ISLNK(st.st_mode)) {
        std::vector<char> target(4096);
        ssize_t n = readlink(src.c_str(), target.data(), target.size() - 1);
        check(n > 0, "readlink " + src);
        check(symlink(std::string(target.data(), static_cast<size_t>(n)).c_str(), dst.c_str()) == 0, "symlink " + dst);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        check(mkdir(dst.c_str(), 0755) == 0 || errno == EEXIST, "mkdir " + dst);
    } else {
        int fd = open(dst.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        check(fd >= 0, "create " + dst);
        close(fd);
    }
    bind_read_only(src, dst);
}

void build_root(const Options& o) {
    check(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "make mounts private");
    const std::string& r = o.root;
    check(mount("tmpfs", r.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") == 0, "mount root tmpfs");
    // What interpreters and compiled programs need, and no more: every bind costs two mount calls per run.
    for (const char* p : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/dev/null",
                          "/dev/zero", "/dev/urandom"}) {
        mirror(p, r);
    }
    for (const auto& p : o.read_only) mirror(p, r);
    check(mkdir((r + "/box").c_str(), 0755) == 0, "mkdir /box");
    bind_read_only(o.box, r + "/box");
    check(mkdir((r + "/tmp").c_str(), 01777) == 0, "mkdir /tmp");
    const std::string tmp_opts = "size=" + std::to_string(o.tmp_bytes) + ",mode=1777,nr_inodes=4096";
    check(mount("tmpfs", (r + "/tmp").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, tmp_opts.c_str()) == 0, "mount /tmp");
    // POSIX semaphores (Python's multiprocessing locks) live in /dev/shm; it shares /tmp's size.
    check(mkdir((r + "/dev/shm").c_str(), 01777) == 0, "mkdir /dev/shm");
    check(mount("tmpfs", (r + "/dev/shm").c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, tmp_opts.c_str()) == 0,
          "mount /dev/shm");
    // What programs open by name: /dev/stdin (a common way to read all input), /dev/fd/N.
    for (const char* link : {"stdin", "stdout", "stderr"}) {
        const std::string target = std::string("/proc/self/fd/") + (link[3] == 'i' ? "0" : link[3] == 'o' ? "1" : "2");
        check(symlink(target.c_str(), (r + "/dev/" + link).c_str()) == 0, std::string("symlink /dev/") + link);
    }
    check(symlink("/proc/self/fd", (r + "/dev/fd").c_str()) == 0, "symlink /dev/fd");
    check(mkdir((r + "/proc").c_str(), 0555) == 0, "mkdir /proc");
    // A fresh /proc shows only this PID namespace. Some container runtimes mask parts of the host's
    // /proc, and then the kernel refuses a new one: the program runs without /proc.
    mount("proc", (r + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    check(chdir(r.c_str()) == 0, "chdir new root");
    check(syscall(SYS_pivot_root, ".", ".") == 0, "pivot_root");
    check(umount2(".", MNT_DETACH) == 0, "detach the old root");
    check(chdir("/") == 0, "chdir /");
    check(mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) == 0,
          "remount root read-only");
}

void drop_bounding_set() {
    for (int cap = 0; cap <= 63; ++cap) {
        if (prctl(PR_CAPBSET_READ, cap) < 0) break;  // past the kernel's last capability
        prctl(PR_CAPBSET_DROP, cap);
    }
}

void drop_capabilities() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    check(syscall(SYS_capset, &header, data) == 0, "capset");
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

void set_limit(int resource, rlim_t soft, rlim_t hard, const char* name) {
    struct rlimit rl {soft, hard};
    check(setrlimit(resource, &rl) == 0, std::string("setrlimit ") + name);
}

// Denied with EPERM: the kernel interfaces a test program never needs and an escape would (debugging
// other processes, namespaces and mounts, kernel keys, BPF, perf, userfaultfd, io_uring, kexec, modules),
// terminal injection (TIOCSTI), and every socket family but AF_UNIX (the network namespace already has
// no interface up). clone3 fails with ENOSYS so libc falls back to clone, whose flags can be inspected.
void load_seccomp() {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    check(ctx != nullptr, "seccomp_init");
    const int deny = SCMP_ACT_ERRNO(EPERM);
    const int denied[] = {
        SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(mount),
        SCMP_SYS(umount2), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(keyctl), SCMP_SYS(add_key),
        SCMP_SYS(request_key), SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd),
        SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register), SCMP_SYS(kexec_load),
        SCMP_SYS(kexec_file_load), SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module),
        SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(reboot),
        SCMP_SYS(syslog), SCMP_SYS(acct), SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(adjtimex),
        SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at), SCMP_SYS(fanotify_init), SCMP_SYS(lookup_dcookie),
        SCMP_SYS(move_mount), SCMP_SYS(open_tree), SCMP_SYS(fsopen), SCMP_SYS(fsmount), SCMP_SYS(fsconfig),
        SCMP_SYS(fspick), SCMP_SYS(mount_setattr), SCMP_SYS(pidfd_getfd), SCMP_SYS(personality),
    };
    bool ok = true;
    for (int sc : denied) ok = ok && seccomp_rule_add(ctx, deny, sc, 0) == 0;
    ok = ok && seccomp_rule_add(ctx, deny, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, TIOCSTI)) == 0;
    ok = ok && seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)) == 0;
    ok = ok && seccomp_rule_add(ctx, deny, SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)) == 0;
    // clone's low byte is the exit signal, so CLONE_NEWTIME (0x80) cannot be told apart there; a new time
    // namespace gives nothing without the others.
    for (scmp_datum_t flag : {scmp_datum_t(CLONE_NEWUSER), scmp_datum_t(CLONE_NEWNS), scmp_datum_t(CLONE_NEWPID),
                              scmp_datum_t(CLONE_NEWNET), scmp_datum_t(CLONE_NEWIPC), scmp_datum_t(CLONE_NEWUTS),
                              scmp_datum_t(CLONE_NEWCGROUP)}) {
        ok = ok && seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)) == 0;
    }
    ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) == 0;
    ok = ok && seccomp_load(ctx) == 0;
    seccomp_release(ctx);
    check(ok, "seccomp filter");
}

// The program process: limits, privileges, filter, exec. Errors go to `report` (a pipe to the parent).
[[noreturn]] void exec_program(const Options& o, int report) {
    try {
        set_limit(RLIMIT_CPU, o.cpu_seconds, o.cpu_seconds + 1, "cpu");
        set_limit(RLIMIT_AS, o.memory_bytes, o.memory_bytes, "address space");
        set_limit(RLIMIT_NPROC, o.processes, o.processes, "processes");
        set_limit(RLIMIT_NOFILE, o.open_files, o.open_files, "open files");
        set_limit(RLIMIT_FSIZE, o.file_size_bytes, o.file_size_bytes, "file size");
        set_limit(RLIMIT_CORE, 0, 0, "core");
        if (o.weak) {
            const std::string scratch = o.box + "/tmp";
            check((mkdir(scratch.c_str(), 01777) == 0 || errno == EEXIST) && chmod(scratch.c_str(), 01777) == 0, "mkdir " + scratch);
        }
        check(chdir(o.weak ? (o.box + "/tmp").c_str() : o.workdir.c_str()) == 0, "chdir " + o.workdir);
        if (o.weak) setsid();  // its own session and process group
        if (o.weak && geteuid() == 0) {
            check(setgroups(0, nullptr) == 0 && setresgid(kNobody, kNobody, kNobody) == 0 &&
                      setresuid(kNobody, kNobody, kNobody) == 0,
                  "switch to nobody");
        }
        drop_capabilities();
        check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
        load_seccomp();
        std::vector<std::string> argv = o.argv;
        if (o.weak) {
            // No private root: /box and /tmp in the command name the run's directory and a private
            // scratch directory inside it.
            for (auto& a : argv) a = weak_path(a, o.box);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        char* empty_env[] = {nullptr};
        execve(args[0], args.data(), empty_env);
        fail("exec " + o.argv[0]);
    } catch (const std::exception& e) {
        const std::string msg = e.what();
        (void)!write(report, msg.data(), msg.size());
        _exit(127);
    }
}

std::string describe(int status) {
    if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
    return "exit " + std::to_string(WEXITSTATUS(status));
}

// Forks the program and reaps children until it exits; returns the status line (or the set-up error
// the program process sent before its exec).
std::string run_program(const Options& o) {
    int err[2];
    check(pipe2(err, O_CLOEXEC) == 0, "pipe");
    pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        close(err[0]);
        exec_program(o, err[1]);
    }
    close(err[1]);
    std::string setup_error;
    char buf[512];
    for (ssize_t n; (n = read(err[0], buf, sizeof buf)) > 0;) setup_error.append(buf, static_cast<size_t>(n));
    close(err[0]);
    for (;;) {
        int status = 0;
        pid_t done = waitpid(-1, &status, 0);
        if (done < 0 && errno == EINTR) continue;
        check(done >= 0, "wait");
        if (done == pid) return setup_error.empty() ? describe(status) : "error " + setup_error;
    }
}

struct InitArgs {
    const Options* options;
    int go;      // read end: the parent has written the id maps
    int status;  // write end: the status line back to the parent
};

int init_main(void* arg) {
    auto* a = static_cast<InitArgs*>(arg);
    std::string line;
    try {
        check(prctl(PR_SET_PDEATHSIG, SIGKILL) == 0, "pdeathsig");
        char c = 0;
        check(read(a->go, &c, 1) == 1, "wait for the id maps");  // EOF: the parent died first
        check(setresgid(kInsideId, kInsideId, kInsideId) == 0 && setresuid(kInsideId, kInsideId, kInsideId) == 0,
              "switch to the sandbox uid");
        // A change of credentials clears the parent-death signal: set it again, then make sure the
        // parent did not die in between (its end of the go pipe stays open while it lives).
        check(prctl(PR_SET_PDEATHSIG, SIGKILL) == 0, "pdeathsig");
        pollfd alive{a->go, POLLIN, 0};
        if (poll(&alive, 1, 0) > 0 && (alive.revents & (POLLHUP | POLLERR))) _exit(1);
        close(a->go);
        check(sethostname("sandbox", 7) == 0, "sethostname");
        build_root(*a->options);
        drop_bounding_set();
        line = run_program(*a->options);
    } catch (const std::exception& e) {
        line = std::string("error ") + e.what();
    }
    (void)!write(a->status, line.data(), line.size());
    return 0;
}

// A stack for a cloned child: mapped, not zeroed (a std::vector would fault in and clear 256 pages).
char* child_stack_top() {
    constexpr size_t kStack = 1 << 20;
    void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    check(stack != MAP_FAILED, "mmap a child's stack");
    return static_cast<char*>(stack) + kStack;
}

// Maps the sandbox uid/gid 1000 of the new user namespace of `pid` to nobody (when root) or the caller.
void write_id_maps(pid_t pid) {
    const uid_t outside_uid = geteuid() == 0 ? kNobody : geteuid();
    const gid_t outside_gid = geteuid() == 0 ? kNobody : getegid();
    const std::string proc = "/proc/" + std::to_string(pid);
    try {
        write_file(proc + "/setgroups", "deny");
        write_file(proc + "/uid_map", std::to_string(kInsideId) + " " + std::to_string(outside_uid) + " 1");
        write_file(proc + "/gid_map", std::to_string(kInsideId) + " " + std::to_string(outside_gid) + " 1");
    } catch (...) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        throw;
    }
}

std::string run_strict(const Options& o) {
    int go[2], status[2];
    check(pipe2(go, O_CLOEXEC) == 0 && pipe2(status, O_CLOEXEC) == 0, "pipe");
    if (geteuid() == 0) check(setgroups(0, nullptr) == 0, "drop supplementary groups");
    InitArgs args{&o, go[0], status[1]};
    const int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
    pid_t pid = clone(init_main, child_stack_top(), flags, &args);
    check(pid > 0, "clone into new namespaces (user, pid, mount, net, ipc, uts)");
    close(go[0]);
    close(status[1]);
    write_id_maps(pid);
    check(write(go[1], "g", 1) == 1, "start the sandbox");  // go[1] stays open: the init's sign of life
    std::string line;
    char buf[512];
    for (ssize_t n; (n = read(status[0], buf, sizeof buf)) > 0;) line.append(buf, static_cast<size_t>(n));
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (line.empty()) line = "error the sandbox init ended without a status (" + describe(st) + ")";
    return line;
}

Options parse(int argc, char** argv) {
    Options o;
    int i = 1;
    auto value = [&](const std::string& flag) -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(flag + ": missing value");
        return argv[++i];
    };
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            for (++i; i < argc; ++i) o.argv.emplace_back(argv[i]);
            break;
        }
        if (a == "--weak") o.weak = true;
        else if (a == "--box") o.box = value(a);
        else if (a == "--root") o.root = value(a);
        else if (a == "--workdir") o.workdir = value(a);
        else if (a == "--read-only") o.read_only.push_back(value(a));
        else if (a == "--cpu") o.cpu_seconds = std::stol(value(a));
        else if (a == "--memory") o.memory_bytes = std::stoll(value(a));
        else if (a == "--processes") o.processes = std::stol(value(a));
        else if (a == "--open-files") o.open_files = std::stol(value(a));
        else if (a == "--file-size") o.file_size_bytes = std::stoll(value(a));
        else if (a == "--tmp-size") o.tmp_bytes = std::stoll(value(a));
        else throw std::runtime_error("unknown option " + a);
    }
    if (o.argv.empty()) throw std::runtime_error("missing the program: aha-sandbox [options] -- PROGRAM ARGS...");
    if (o.box.empty() || (!o.weak && o.root.empty())) throw std::runtime_error("--box and --root are required");
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    // The status pipe must not reach the program; nothing else of the caller's should either.
    fcntl(kStatusFd, F_SETFD, FD_CLOEXEC);
    syscall(SYS_close_range, kStatusFd + 1, ~0U, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // the supervisor gone: nobody would enforce the wall clock
    // Run as root, the program is nobody: give it its own pipes, so that reopening them by name
    // (/dev/stdin is /proc/self/fd/0) is allowed. Only pipes: a terminal stays its owner's.
    if (geteuid() == 0) {
        for (int fd = 0; fd <= 2; ++fd) {
            struct stat st {};
            if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) (void)!fchown(fd, kNobody, kNobody);
        }
    }
    std::string line;
    try {
        const Options o = parse(argc, argv);
        line = o.weak ? run_program(o) : run_strict(o);
    } catch (const std::exception& e) {
        line = std::string("error ") + e.what();
    }
    line += "\n";
    if (write(kStatusFd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        std::fputs(("aha-sandbox: " + line).c_str(), stderr);  // run by hand, without a status pipe
    }
    return 0;
}
