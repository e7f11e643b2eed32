// File helpers: listing, syncing and renaming a directory into place, and their errors naming the path.
#include "core/files.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace aha {
namespace {

std::string fresh_dir(const std::string& name) {
    const std::string dir = ::testing::TempDir() + "aha_files_test/" + name;
    remove_tree(dir);
    make_dirs(dir);
    return dir;
}

TEST(FilesTest, ListDirIsSortedWithoutDotEntries) {
    const std::string dir = fresh_dir("list");
    write_file_atomic(dir + "/step_000010", "");
    write_file_atomic(dir + "/step_000002", "");
    make_dirs(dir + "/.tmp-step_000012");
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{".tmp-step_000012", "step_000002", "step_000010"}));
    try {
        list_dir(dir + "/absent");
        FAIL() << "expected an error";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find(dir + "/absent: cannot list"), std::string::npos) << e.what();
    }
}

TEST(FilesTest, SyncedRenameMovesAWholeDirectory) {
    const std::string dir = fresh_dir("rename");
    make_dirs(dir + "/tmp");
    write_file_atomic(dir + "/tmp/a.json", "{}\n");
    write_file_atomic(dir + "/tmp/b.bin", std::string(1000, 'x'));
    sync_dir(dir + "/tmp");
    rename_synced(dir + "/tmp", dir + "/final");
    EXPECT_FALSE(file_exists(dir + "/tmp"));
    EXPECT_EQ(read_file(dir + "/final/a.json"), "{}\n");
    EXPECT_EQ(read_file(dir + "/final/b.bin").size(), 1000u);
    EXPECT_THROW(rename_synced(dir + "/tmp", dir + "/again"), IoError);  // the source is gone
    EXPECT_THROW(sync_dir(dir + "/absent"), IoError);
}

}  // namespace
}  // namespace aha
