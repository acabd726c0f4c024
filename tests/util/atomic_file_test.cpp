#include "util/atomic_file.hpp"

#include <sys/stat.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace portwatch::util {
namespace {

TEST(AtomicFile, WritesAndReplacesKeepingMode) {
    test::TempDir dir;
    auto const p = dir / "f";
    ASSERT_TRUE(write_file_atomically(p, "one"));
    ::chmod(p.c_str(), 0600);
    ASSERT_TRUE(write_file_atomically(p, "two"));
    EXPECT_EQ(dir.read("f"), "two");
    struct stat st {};
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AtomicFile, ReadMissing) {
    test::TempDir dir;
    auto const r = read_file(dir / "nope");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, std::errc::no_such_file_or_directory);
}

TEST(AtomicFile, ReadRefusesDevicesAndFifosAtOnce) {
    auto const zero = read_file("/dev/zero");
    ASSERT_FALSE(zero);
    EXPECT_NE(zero.error().message.find("not a regular file"), std::string::npos);
    test::TempDir dir;
    ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
    auto const fifo = read_file(dir / "fifo");  // must not block waiting for a writer
    ASSERT_FALSE(fifo);
    EXPECT_NE(fifo.error().message.find("not a regular file"), std::string::npos);
}

TEST(AtomicFile, NeverWritesThroughASymlinkAtTheOldTempName) {
    test::TempDir dir;
    test::TempDir elsewhere;
    auto const victim = elsewhere.write("victim", "precious");
    auto const p = dir / "state.json";
    // The temp name of earlier versions, and one of the names it may take now.
    std::filesystem::create_symlink(victim, dir / ".state.json.tmp");
    std::filesystem::create_symlink(victim, dir / ".state.json.tmp-planted");
    ASSERT_TRUE(write_file_atomically(p, "new"));
    EXPECT_EQ(elsewhere.read("victim"), "precious");
    EXPECT_EQ(dir.read("state.json"), "new");
    EXPECT_FALSE(std::filesystem::is_symlink(p));
    ASSERT_TRUE(write_file_atomically(p, "newer"));
    EXPECT_EQ(dir.read("state.json"), "newer");
    EXPECT_EQ(elsewhere.read("victim"), "precious");
}

TEST(AtomicFile, LeavesNoTempFileBehind) {
    test::TempDir dir;
    dir.write(".f.tmp", "left by a killed writer of an earlier version");
    dir.write(".f.tmp-AbCdEfGhIj", "left by a killed writer");
    ASSERT_TRUE(write_file_atomically(dir / "f", "x"));
    std::vector<std::string> names;
    for (auto const& e : std::filesystem::directory_iterator(dir.path())) {
        names.push_back(e.path().filename().string());
    }
    EXPECT_EQ(names, std::vector<std::string>{"f"});
}

TEST(AtomicFile, MissingDirectoryIsAnError) {
    test::TempDir dir;
    EXPECT_FALSE(write_file_atomically(dir / "no" / "f", "x"));
}

}  // namespace
}  // namespace portwatch::util
