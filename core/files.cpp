// File helpers; see files.h.
#include "core/files.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace aha {

namespace fs = std::filesystem;

void ensure_writable_dir(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw IoError(dir + ": cannot create directory (" + ec.message() + ")");
    if (!fs::is_directory(dir)) throw IoError(dir + ": exists and is not a directory");
    fs::path probe = fs::path(dir) / ".aha-write-probe";
    {
        std::ofstream out(probe);
        if (!out) throw IoError(dir + ": directory is not writable");
    }
    fs::remove(probe, ec);
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
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw IoError(path + ": cannot rename temporary file into place (" + ec.message() + ")");
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open for reading");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

bool file_exists(const std::string& path) { return fs::exists(path); }

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

}  // namespace aha
