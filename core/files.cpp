// File helpers; see files.h.
#include "core/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace aha {

// POSIX calls rather than std::filesystem: the LibTorch wheel exports its own, broken, copies of some
// std::filesystem symbols (remove_all crashes), which win over libstdc++'s in every program linking torch.

namespace {

bool is_directory(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

void make_dirs(const std::string& dir) {
    if (dir.empty() || is_directory(dir)) return;
    auto slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) make_dirs(dir.substr(0, slash));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        throw IoError(dir + ": cannot create directory (" + std::strerror(errno) + ")");
    }
    if (!is_directory(dir)) throw IoError(dir + ": exists and is not a directory");
}

void ensure_writable_dir(const std::string& dir) {
    make_dirs(dir);
    if (::access(dir.c_str(), W_OK | X_OK) != 0) throw IoError(dir + ": directory is not writable");
}

void remove_tree(const std::string& path) {
    auto remove_one = [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); };
    if (::access(path.c_str(), F_OK) != 0) return;
    if (::nftw(path.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        throw IoError(path + ": cannot remove (" + std::strerror(errno) + ")");
    }
}

void write_file_atomic(const std::string& path, const std::string& content) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw IoError(path + ": cannot open for writing");
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw IoError(path + ": write failed (disk full?)");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        throw IoError(path + ": cannot rename temporary file into place (" + why + ")");
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open for reading");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

bool file_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::vector<std::string> list_dir(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) throw IoError(dir + ": cannot list (" + std::strerror(errno) + ")");
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

namespace {

void fsync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw IoError(path + ": cannot open to sync (" + std::strerror(errno) + ")");
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) throw IoError(path + ": fsync failed (" + std::strerror(err) + ")");
}

}  // namespace

void sync_dir(const std::string& dir) {
    for (const auto& name : list_dir(dir)) {
        if (!is_directory(dir + "/" + name)) fsync_path(dir + "/" + name);
    }
    fsync_path(dir);
}

void rename_synced(const std::string& from, const std::string& to) {
    if (std::rename(from.c_str(), to.c_str()) != 0) {
        throw IoError(from + ": cannot rename to " + to + " (" + std::strerror(errno) + ")");
    }
    const size_t slash = to.find_last_of('/');
    fsync_path(slash == std::string::npos ? "." : (slash == 0 ? "/" : to.substr(0, slash)));
}

LineAppender::LineAppender(std::string path) : path_(std::move(path)) {
    std::ofstream out(path_, std::ios::app);
    if (!out) throw IoError(path_ + ": cannot open for appending");
}

void LineAppender::append(const std::string& line) {
    std::ofstream out(path_, std::ios::app);
    out << line << '\n';
    out.flush();
    if (!out) throw IoError(path_ + ": append failed");
}

std::string executable_directory() {
    std::string buf(4096, '\0');
    const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
    if (n <= 0) throw IoError(std::string("/proc/self/exe: cannot read (") + std::strerror(errno) + ")");
    buf.resize(static_cast<size_t>(n));
    return buf.substr(0, buf.rfind('/'));
}

}  // namespace aha
