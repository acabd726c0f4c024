// The record of running notifier process groups, and how the next run stops what a killed
// run left behind (issue 17 item 3): real processes in their own groups.
#include "notify/child_ledger.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace portwatch::notify {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// A `sh` in its own process group with a background `sleep` in it: what a notifier that
/// started a slow child looks like.
pid_t start_group() {
    pid_t const pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        ::execl("/bin/sh", "sh", "-c", "sleep 30 & sleep 30", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::setpgid(pid, pid);
    return pid;
}

/// The 22nd field of /proc/PID/stat, as the ledger reads it.
unsigned long long start_time(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(in, line);
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i < 22; ++i) {
        fields >> field;
    }
    unsigned long long start = 0;
    fields >> start;
    return start;
}

/// Whether a live (not zombie) process is in group `pgid`: an orphan is reaped by init, and
/// not every init reaps at once.
bool group_has_live_member(pid_t pgid) {
    for (auto const& entry : fs::directory_iterator("/proc")) {
        auto const name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream in(entry.path() / "stat");
        std::string line;
        if (!std::getline(in, line) || line.rfind(')') == std::string::npos) {
            continue;
        }
        std::istringstream fields(line.substr(line.rfind(')') + 2));
        char state = '?';
        long ppid = 0;
        long pgrp = 0;
        fields >> state >> ppid >> pgrp;
        if (fields && pgrp == pgid && state != 'Z' && state != 'X') {
            return true;
        }
    }
    return false;
}

/// Reaps `pid` (bounded: it was SIGKILLed or is killed here) and says whether SIGKILL ended it.
bool reaped_by_sigkill(pid_t pid) {
    int st = 0;
    for (int i = 0; i < 500; ++i) {
        if (::waitpid(pid, &st, WNOHANG) == pid) {
            return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
        }
        ::usleep(10'000);
    }
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &st, 0);
    return false;
}

TEST(ChildLedger, KillsTheGroupsAnEarlierRunRecordedAndStillRun) {
    test::TempDir dir;
    pid_t const group = start_group();
    ::usleep(100'000);  // the shell has started its background sleep
    dir.write("state.lock", std::to_string(group) + ' ' + std::to_string(start_time(group)) + '\n');
    auto const found = adopt_child_ledger(dir / "state.lock", 5s);
    EXPECT_EQ(found.killed, 1U);
    EXPECT_EQ(found.still_running, 0U);
    EXPECT_TRUE(reaped_by_sigkill(group));
    EXPECT_FALSE(group_has_live_member(group)) << "the shell's background child still runs";
    EXPECT_EQ(dir.read("state.lock"), "") << "the old record is replaced by this run's (none)";
}

TEST(ChildLedger, LeavesAGroupWhoseLeaderIsAnotherProcess) {
    test::TempDir dir;
    pid_t const group = start_group();
    // The same pid with another start time: the recorded process is gone and the pid reused.
    dir.write("state.lock",
              std::to_string(group) + ' ' + std::to_string(start_time(group) + 1) + '\n');
    auto const found = adopt_child_ledger(dir / "state.lock", 5s);
    EXPECT_EQ(found.killed, 0U);
    EXPECT_EQ(::kill(group, 0), 0) << "an unrelated process was killed";
    ::kill(-group, SIGKILL);
    EXPECT_TRUE(reaped_by_sigkill(group));
}

TEST(ChildLedger, RecordsThisRunsGroupsWhileTheyRun) {
    test::TempDir dir;
    dir.write("state.lock", "not a record\n");
    auto const found = adopt_child_ledger(dir / "state.lock", 1s);
    EXPECT_EQ(found.killed, 0U);
    pid_t const group = start_group();
    detail::ledger_started(group);
    EXPECT_EQ(dir.read("state.lock"),
              std::to_string(group) + ' ' + std::to_string(start_time(group)) + '\n');
    ::kill(-group, SIGKILL);
    EXPECT_TRUE(reaped_by_sigkill(group));
    detail::ledger_finished(group);
    EXPECT_EQ(dir.read("state.lock"), "");
}

TEST(ChildLedger, NeverFollowsASymlinkAtItsName) {
    test::TempDir dir;
    dir.write("elsewhere", "precious\n");
    fs::create_symlink(dir / "elsewhere", dir / "state.lock");
    auto const found = adopt_child_ledger(dir / "state.lock", 1s);
    EXPECT_EQ(found.killed, 0U);
    pid_t const group = start_group();
    detail::ledger_started(group);  // no record: nothing is written anywhere
    EXPECT_EQ(dir.read("elsewhere"), "precious\n");
    ::kill(-group, SIGKILL);
    EXPECT_TRUE(reaped_by_sigkill(group));
    detail::ledger_finished(group);
}

}  // namespace
}  // namespace portwatch::notify
