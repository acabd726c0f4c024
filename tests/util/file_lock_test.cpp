#include "util/file_lock.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace portwatch::util {
namespace {

using namespace std::chrono_literals;

TEST(FileLock, SecondHolderTimesOut) {
    test::TempDir dir;
    auto const p = dir / "lock";
    auto first = FileLock::acquire(p, 100ms);
    ASSERT_TRUE(first);
    // flock is per open file description: a child process competes for real.
    pid_t const pid = ::fork();
    if (pid == 0) {
        auto second = FileLock::acquire(p, 200ms);
        ::_exit(!second && second.error().code == std::errc::timed_out ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(FileLock, ReleasedOnDestruction) {
    test::TempDir dir;
    auto const p = dir / "lock";
    {
        auto first = FileLock::acquire(p, 100ms);
        ASSERT_TRUE(first);
    }
    pid_t const pid = ::fork();
    if (pid == 0) {
        ::_exit(FileLock::acquire(p, 100ms) ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(FileLock, NeverFollowsASymlink) {
    test::TempDir dir;
    test::TempDir elsewhere;
    auto const victim = elsewhere.write("victim", "precious");
    std::filesystem::create_symlink(victim, dir / "lock");
    std::filesystem::create_symlink(elsewhere / "created", dir / "dangling.lock");
    auto const held = FileLock::acquire(dir / "lock", 50ms);
    ASSERT_FALSE(held);
    EXPECT_EQ(held.error().code, std::errc::too_many_symbolic_link_levels);
    EXPECT_FALSE(FileLock::acquire(dir / "dangling.lock", 50ms));
    EXPECT_EQ(elsewhere.read("victim"), "precious");
    EXPECT_FALSE(std::filesystem::exists(elsewhere / "created"));
}

}  // namespace
}  // namespace portwatch::util
