#include "notify/child_ledger.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace portwatch::notify {

namespace fs = std::filesystem;

namespace {

/// What /proc/PID/stat says of a process: its state letter, group and start time (in clock
/// ticks since boot; with the pid, it names one process for ever).
struct ProcStat {
    char state = '?';
    pid_t pgrp = 0;
    unsigned long long start = 0;
};

std::optional<ProcStat> proc_stat(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) {
        return std::nullopt;
    }
    // "PID (COMM) STATE PPID PGRP ... STARTTIME(22nd) ...": COMM may hold anything, so the
    // fields are counted from the last ')'.
    auto const close = line.rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream fields(line.substr(close + 1));
    ProcStat st;
    long ppid = 0;
    long pgrp = 0;
    fields >> st.state >> ppid >> pgrp;
    std::string skip;
    for (int field = 6; field < 22 && fields; ++field) {
        fields >> skip;
    }
    fields >> st.start;
    if (!fields) {
        return std::nullopt;
    }
    st.pgrp = static_cast<pid_t>(pgrp);
    return st;
}

bool is_live(ProcStat const& st) {
    return st.state != 'Z' && st.state != 'X';
}

/// Whether any live (not zombie) process is in group `pgid`.
bool group_alive(pid_t pgid) {
    if (::kill(-pgid, 0) != 0 && errno == ESRCH) {
        return false;
    }
    std::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        auto const name = it->path().filename().string();
        pid_t pid = 0;
        auto const [p, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (err != std::errc{} || p != name.data() + name.size()) {
            continue;
        }
        if (auto const st = proc_stat(pid); st && st->pgrp == pgid && is_live(*st)) {
            return true;
        }
    }
    return false;
}

/// This process's running notifier groups and the file they are written to (opened for each
/// write, so that no descriptor stays open between deliveries).
struct Ledger {
    std::mutex mutex;
    std::optional<fs::path> file;
    std::map<pid_t, unsigned long long> groups;  ///< pgid -> its leader's start time

    /// Rewrites the file (a few lines; no fsync: a machine that loses power loses the
    /// processes too).
    void write() const {
        if (!file) {
            return;
        }
        int const fd = ::open(file->c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            return;
        }
        std::string text;
        for (auto const& [pgid, start] : groups) {
            text += std::to_string(pgid) + ' ' + std::to_string(start) + '\n';
        }
        if (::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size())) {
            [[maybe_unused]] int const r = ::ftruncate(fd, static_cast<off_t>(text.size()));
        }
        ::close(fd);
    }
};

Ledger& ledger() {
    static Ledger l;
    return l;
}

/// The (pgid, start time) lines of an earlier run's record; other lines are ignored.
std::vector<std::pair<pid_t, unsigned long long>> read_record(int fd) {
    std::string text;
    char buf[4096];
    for (off_t off = 0; text.size() < (1U << 20);) {
        ssize_t const n = ::pread(fd, buf, sizeof buf, off);
        if (n <= 0) {
            break;
        }
        text.append(buf, static_cast<std::size_t>(n));
        off += n;
    }
    std::vector<std::pair<pid_t, unsigned long long>> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        long pgid = 0;
        unsigned long long start = 0;
        if (words >> pgid >> start && pgid > 1) {
            out.emplace_back(static_cast<pid_t>(pgid), start);
        }
    }
    return out;
}

}  // namespace

LeftoverGroups adopt_child_ledger(fs::path const& file, std::chrono::milliseconds wait) {
    auto& l = ledger();
    std::lock_guard lock(l.mutex);
    LeftoverGroups report;
    int const fd = ::open(file.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        l.file.reset();
        return report;
    }
    auto const record = read_record(fd);
    ::close(fd);
    std::vector<pid_t> killed;
    for (auto const& [pgid, start] : record) {
        if (pgid == ::getpgrp()) {
            continue;
        }
        // The leader, if still there, must be the very process recorded; once it is gone, its
        // pid stays reserved while any member of its group lives, so the group is the one
        // recorded.
        if (auto const leader = proc_stat(pgid); leader && leader->start != start) {
            continue;
        }
        if (group_alive(pgid) && ::kill(-pgid, SIGKILL) == 0) {
            killed.push_back(pgid);
        }
    }
    report.killed = killed.size();
    // Bounded: killed processes go within milliseconds unless stuck in the kernel.
    auto const deadline = std::chrono::steady_clock::now() + wait;
    while (!killed.empty()) {
        std::erase_if(killed, [](pid_t g) { return !group_alive(g); });
        if (killed.empty() || std::chrono::steady_clock::now() >= deadline) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    report.still_running = killed.size();
    l.file = file;
    l.write();
    return report;
}

namespace detail {

void ledger_started(pid_t pgid) {
    auto& l = ledger();
    std::lock_guard lock(l.mutex);
    if (!l.file) {
        return;
    }
    auto const st = proc_stat(pgid);
    l.groups[pgid] = st ? st->start : 0;
    l.write();
}

void ledger_finished(pid_t pgid) {
    auto& l = ledger();
    std::lock_guard lock(l.mutex);
    if (l.groups.erase(pgid) > 0) {
        l.write();
    }
}

}  // namespace detail
}  // namespace portwatch::notify
