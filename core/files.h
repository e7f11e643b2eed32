// File helpers that never leave half-written files behind and report failures as IoError naming the path.
#pragma once

#include <string>
#include <vector>

namespace aha {

// Creates `dir` and its parents if needed.
void make_dirs(const std::string& dir);

// Removes a file or a directory tree; nothing to do when absent.
void remove_tree(const std::string& path);

// Creates `dir` (and parents) if needed and checks that a file can be created in it.
void ensure_writable_dir(const std::string& dir);

// Writes `content` to `path` through a temporary file in the same directory and an atomic rename.
void write_file_atomic(const std::string& path, const std::string& content);

// Reads a whole file; IoError naming the path when it cannot.
std::string read_file(const std::string& path);

bool file_exists(const std::string& path);

// The names in `dir` (not . and ..), sorted; IoError when it cannot be read.
std::vector<std::string> list_dir(const std::string& dir);

// fsyncs every file in `dir` (not recursing) and then `dir` itself, so what was written there is on disk.
void sync_dir(const std::string& dir);

// Renames `from` to `to` (atomic on one file system) and fsyncs the directory of `to`.
void rename_synced(const std::string& from, const std::string& to);

// The directory of the running executable (from /proc/self/exe, not argv[0], which may be a bare name
// found on PATH); IoError when it cannot be read.
std::string executable_directory();

// Appends one line (a newline is added) and flushes; for metrics.jsonl.
class LineAppender {
 public:
    explicit LineAppender(std::string path);
    void append(const std::string& line);

 private:
    std::string path_;
};

}  // namespace aha
