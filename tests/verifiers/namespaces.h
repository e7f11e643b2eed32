// Whether this host lets an unprivileged process create the namespaces the strict sandbox needs, probed
// with the kernel directly (not through aha's helper, so a bug in the helper still fails its tests).
#pragma once

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace aha::verifiers::code {

inline bool host_allows_namespaces() {
    static const bool allowed = [] {
        pid_t pid = fork();
        if (pid == 0) _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0 ? 0 : 1);
        int status = 0;
        return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }();
    return allowed;
}

}  // namespace aha::verifiers::code
