// `portwatch check` when the disk or the notifier misbehaves: a clear error, the old state
// intact, pending events kept and retried, a distinct exit code, a bounded run.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "reliability/reliability_support.hpp"

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_all(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::size_t outbox_size(fs::path const& state) {
    return read_state(state)["_portwatch"]["outbox"].size();
}

/// Makes every pending event due now (as if its backoff had passed).
void make_due(fs::path const& state) {
    auto s = read_state(state);
    for (auto& e : s["_portwatch"]["outbox"])
        e["next_attempt"] = 0;
    std::ofstream(state) << s.dump(4);
}

/// A list with one refused target and a recording notifier, the state at `state`.
struct Case {
    SeedDir dir;
    fs::path state;
    fs::path record = write_script(dir, "record.sh", "printf '%s\\n' \"$1\" >> \"$0.calls\"");
    std::uint16_t port = closed_port();

    explicit Case(fs::path const& state_path = {}) {
        state = state_path.empty() ? dir / "state.json" : state_path;
        dir.list(fmt::format("127.0.0.1 {} Svc\n", port));
    }
    ProcessResult check(std::string const& notify, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"--state", state.string(), "--notify-cmd", notify};
        args.insert(args.end(), extra.begin(), extra.end());
        return dir.check(args, {.timeout = 60s});
    }
    std::size_t recorded() const {
        std::ifstream in(record.string() + ".calls");
        std::size_t n = 0;
        for (std::string line; std::getline(in, line);)
            ++n;
        return n;
    }
    /// A run that could not read or save the state: exit 6 naming `cause`, the file as it
    /// was (`before`, with its pending events), nothing notified.
    void expect_store_error(ProcessResult const& r, std::string const& cause,
                            std::string const& before) const {
        EXPECT_EQ(r.exit_code, 6) << r.err;
        EXPECT_NE(r.err.find(cause), std::string::npos) << r.err;
        if (fs::is_regular_file(state)) {
            EXPECT_EQ(read_all(state), before);
        }
        EXPECT_EQ(recorded(), 0u);
    }
    /// The pending event is retried by a later run and delivered once.
    void expect_retried() const {
        make_due(state);
        auto const r = check(record.string());
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(recorded(), 1u);
        EXPECT_EQ(outbox_size(state), 0u);
    }
};

// --- storage ---

TEST(StorageFaults, DiskFullKeepsOldStateAndPendingEvents) {
    Tmpfs disk("64k");
    if (!disk.ok())
        GTEST_SKIP() << disk.error();
    Case s(disk.path() / "state.json");
    auto const failing = write_script(s.dir, "fail.sh", "exit 1");
    ASSERT_EQ(s.check(failing.string()).exit_code, 3);  // one event pending
    std::string const before = read_all(s.state);
    // Fill the file system.
    {
        std::ofstream filler(disk.path() / "filler", std::ios::binary);
        std::string const chunk(4096, 'x');
        for (int i = 0; i < 64 && filler.write(chunk.data(), chunk.size()); ++i) {
            filler.flush();
        }
    }
    s.dir.list(fmt::format("127.0.0.1 {} Svc\n127.0.0.2 {} Other\n", s.port, s.port));
    s.expect_store_error(s.check(s.record.string()), "No space left on device", before);
    for (auto const& e : fs::directory_iterator(disk.path()))
        EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
    // Space again: the new event goes out, and the old one (failed once) is retried at once.
    fs::remove(disk.path() / "filler");
    auto const again = s.check(s.record.string());
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(s.recorded(), 2u);
    EXPECT_EQ(outbox_size(s.state), 0u);
}

TEST(StorageFaults, ReadOnlyDirectory) {
    Tmpfs disk("1m");
    if (!disk.ok())
        GTEST_SKIP() << disk.error();
    Case s(disk.path() / "state.json");
    ASSERT_EQ(s.check(write_script(s.dir, "fail.sh", "exit 1").string()).exit_code, 3);
    std::string const before = read_all(s.state);
    ASSERT_TRUE(disk.remount_read_only());
    s.dir.list(fmt::format("127.0.0.1 {} Svc\n127.0.0.2 {} Other\n", s.port, s.port));
    s.expect_store_error(s.check(s.record.string()), "Read-only file system", before);
}

TEST(StorageFaults, StateFileIsADirectory) {
    Case s;
    fs::create_directory(s.state);
    s.expect_store_error(s.check(s.record.string()), "is a directory", "");
    EXPECT_TRUE(fs::is_directory(s.state));
}

TEST(StorageFaults, PermissionDenied) {
    if (::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0)
        GTEST_SKIP() << "needs root and setpriv to run as nobody";
    Case s;
    ASSERT_EQ(s.check(write_script(s.dir, "fail.sh", "exit 1").string()).exit_code, 3);
    std::string const before = read_all(s.state);
    fs::permissions(s.dir.path(), fs::perms(0755));
    fs::permissions(s.record, fs::perms(0755));
    auto const as_nobody = [&] {
        return run_process({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            portwatch_binary(), "-C", s.dir.path().string(), "check", "--state",
                            s.state.string(), "--notify-cmd", s.record.string()},
                           {.timeout = 60s});
    };
    // A directory it cannot write (lock and temp file), then a state file it cannot read.
    s.expect_store_error(as_nobody(), "Permission denied", before);
    fs::permissions(s.dir.path(), fs::perms(0777));
    fs::permissions(s.state, fs::perms(0600));
    s.expect_store_error(as_nobody(), "Permission denied", before);
}

// --- notifier ---

TEST(NotifierFaults, NonZeroExitKeepsAndRetries) {
    Case s;
    auto const r =
        s.check(write_script(s.dir, "fail.sh", "echo 'quota exceeded' >&2; exit 7").string());
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("exit status 7: quota exceeded"), std::string::npos) << r.err;
    EXPECT_EQ(outbox_size(s.state), 1u);
    s.expect_retried();
}

TEST(NotifierFaults, HangIsKilledWithItsChildrenAtTimeout) {
    Case s;
    auto const hang = write_script(s.dir, "hang.sh", "sleep 60 & echo $! > \"$0.child\"\nsleep 60");
    auto const r = s.check(hang.string(), {"--notify-timeout", "0.5"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_LT(r.elapsed, 4s);  // timeout + margin
    EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
    int const child = std::stoi(s.dir.read("hang.sh.child"));
    for (int i = 0; i < 100 && process_alive(child); ++i)
        std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(process_alive(child)) << "the notifier's child survived its timeout";
    EXPECT_EQ(outbox_size(s.state), 1u);
    s.expect_retried();
}

TEST(NotifierFaults, HundredMegabytesOfOutputIsBounded) {
    Case s;
    auto const chatty =
        write_script(s.dir, "chatty.sh", "head -c 100000000 /dev/zero | tr '\\0' x\necho; exit 1");
    // Peak RSS of portwatch (and its notifier) through wait4.
    auto const r =
        run_process({"python3", "-c",
                     "import resource, subprocess, sys\n"
                     "rc = subprocess.call(sys.argv[1:])\n"
                     "print('maxrss_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
                     "file=sys.stderr)\n"
                     "sys.exit(rc)",
                     portwatch_binary(), "-C", s.dir.path().string(), "check", "--state",
                     s.state.string(), "--notify-cmd", chatty.string()},
                    {.timeout = 60s});
    EXPECT_EQ(r.exit_code, 3) << r.err.substr(0, 2000);
    EXPECT_LT(r.err.size(), 16384u);  // the notifier's output is summarised, not copied
    auto const at = r.err.find("maxrss_kb ");
    ASSERT_NE(at, std::string::npos) << r.err.substr(0, 2000);
    [[maybe_unused]] long const kb = std::stol(r.err.substr(at + 10));
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine of freed memory inflates RSS
    EXPECT_LT(kb, 64 * 1024) << "peak RSS " << kb << " kB while the notifier printed 100 MB";
#endif
    EXPECT_EQ(outbox_size(s.state), 1u);
    s.expect_retried();
}

TEST(NotifierFaults, NotExecutable) {
    Case s;
    auto const plain = s.dir.write("plain.sh", "#!/bin/sh\nexit 0\n");  // mode 0644
    auto const r = s.check(plain.string());
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
    EXPECT_LT(r.elapsed, 10s);
    s.expect_retried();
}

TEST(NotifierFaults, Missing) {
    Case s;
    auto const r = s.check((s.dir / "no-such-notifier").string());
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
    s.expect_retried();
}

TEST(NotifierFaults, DaemonKeepingThePipeOpenDoesNotHoldTheRun) {
    Case s;
    auto const forker =
        write_script(s.dir, "forker.sh",
                     "setsid sh -c 'echo $$ > \"$0.daemon\"; exec sleep 30' \"$0\" &\n"
                     "printf '%s\\n' \"$1\" >> \"" +
                         s.record.string() + ".calls\"\nexit 0");
    auto const r = s.check(forker.string(), {"--notify-timeout", "5"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LT(r.elapsed, 4s);
    EXPECT_EQ(s.recorded(), 1u);
    EXPECT_EQ(outbox_size(s.state), 0u);
    for (int i = 0; i < 100 && !fs::exists(s.dir / "forker.sh.daemon"); ++i)
        std::this_thread::sleep_for(20ms);
    if (fs::exists(s.dir / "forker.sh.daemon")) {
        ::kill(std::stoi(s.dir.read("forker.sh.daemon")), SIGKILL);
    }
}

}  // namespace
}  // namespace portwatch::test
