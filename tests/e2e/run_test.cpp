// `portwatch run` end to end: the real daemon on a temp config, loopback targets flipped
// off and on, a recording push_msg.py, signals, restarts and kill -9.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "e2e/e2e_support.hpp"
#include "store/sqlite.hpp"
#include "store/state_index.hpp"

extern char** environ;

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string const down = " \xEC\x9E\xA5\xEC\x95\xA0 ";  // " 장애 "
std::string const up = " \xEB\xB3\xB5\xEA\xB5\xAC ";    // " 복구 "

/// `portwatch run -c CONFIG` in the background, its output in daemon.log; killed at the end.
class Daemon {
  public:
    explicit Daemon(SeedDir const& dir, std::map<std::string, std::string> env = {}) : dir_(dir) {
        std::vector<std::string> args{portwatch_binary(), "run", "-c",
                                      (dir / "portwatch.yaml").string()};
        std::vector<char*> argv;
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        std::vector<std::string> envs;
        for (char** e = environ; *e; ++e) {
            envs.emplace_back(*e);
        }
        for (auto const& [k, v] : env) {
            envs.push_back(k + "=" + v);
        }
        std::vector<char*> envp;
        for (auto& e : envs) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        auto const log = (dir / "daemon.log").string();
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        EXPECT_EQ(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data()), 0);
        posix_spawn_file_actions_destroy(&fa);
    }
    ~Daemon() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            wait(5s);
        }
    }
    void signal(int sig) const { ::kill(pid_, sig); }
    /// Waits for the exit; the exit code, -signal when killed, or nullopt after `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        auto const end = Clock::now() + timeout;
        while (Clock::now() < end) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
            }
            std::this_thread::sleep_for(10ms);
        }
        return std::nullopt;
    }
    std::string log() const { return dir_.read("daemon.log"); }

  private:
    SeedDir const& dir_;
    pid_t pid_ = -1;
};

/// Polls `pred` every 20 ms for at most `timeout`.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
    auto const end = Clock::now() + timeout;
    while (Clock::now() < end) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return pred();
}

std::string config(std::string const& targets, std::string const& extra = "") {
    return fmt::format("defaults:\n  interval: 200ms\n  timeout: 500ms\n{}targets:\n{}", extra,
                       targets);
}

std::string target(std::string const& name, std::uint16_t port) {
    return fmt::format("  - {{name: {0}, host: 127.0.0.1, port: {1}, description: {0}}}\n", name,
                       port);
}

std::vector<std::string> messages_with(SeedDir const& dir, std::string const& needle) {
    std::vector<std::string> out;
    for (auto const& m : dir.messages()) {
        if (m.find(needle) != std::string::npos) {
            out.push_back(m);
        }
    }
    return out;
}

store::Loaded load_store(SeedDir const& dir) {
    auto s = store::SqliteStore::open(dir / "portwatch.db");
    EXPECT_TRUE(s);
    auto l = (*s)->load();
    EXPECT_TRUE(l);
    return *l;
}

/// Sets every outbox entry's next attempt to now, as if its backoff had passed.
void make_outbox_due(fs::path const& db_path) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "UPDATE outbox SET next_attempt = 0", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
}

TEST(Run, FlipRespectsThresholdsAndTiming) {
    SeedDir dir;
    FlipPort web;
    dir.write("portwatch.yaml", config(target("Web", web.port()),
                                       "  failure_threshold: 3\n  success_threshold: 2\n"));
    Daemon d(dir);
    std::this_thread::sleep_for(1s);  // a few checks while UP: silent
    EXPECT_TRUE(dir.calls().empty()) << d.log();

    ASSERT_TRUE(web.set(false));
    auto const off_at = Clock::now();
    ASSERT_TRUE(eventually([&] { return dir.calls().size() == 1; }, 10s)) << d.log();
    auto const down_after = Clock::now() - off_at;
    // Three failures at 200 ms: not before ~400 ms, and (generously) within 5 s.
    EXPECT_GE(down_after, 350ms);
    EXPECT_LT(down_after, 5s);
    auto const calls = dir.calls();
    EXPECT_TRUE(has_seed_time_suffix(calls[0].args.at(0),
                                     fmt::format("Web (127.0.0.1:{}){}", web.port(), down)))
        << calls[0].args[0];
    EXPECT_EQ(calls[0].event, "down");
    EXPECT_EQ(calls[0].reason, "refused");

    std::this_thread::sleep_for(1s);  // still down: no repeat
    EXPECT_EQ(dir.calls().size(), 1u);

    ASSERT_TRUE(web.set(true));
    auto const on_at = Clock::now();
    ASSERT_TRUE(eventually([&] { return dir.calls().size() == 2; }, 10s)) << d.log();
    EXPECT_GE(Clock::now() - on_at, 150ms);  // two successes
    EXPECT_TRUE(has_seed_time_suffix(dir.calls()[1].args.at(0),
                                     fmt::format("Web (127.0.0.1:{}){}", web.port(), up)));

    d.signal(SIGTERM);
    EXPECT_EQ(d.wait(10s), 0) << d.log();
    // History: two transitions and rollups, no row per probe.
    auto s = store::SqliteStore::open(dir / "portwatch.db");
    ASSERT_TRUE(s);
    auto t = (*s)->transitions("", 10);
    ASSERT_TRUE(t);
    ASSERT_EQ(t->size(), 3u);  // first UP, DOWN, UP
    EXPECT_EQ((*t)[0].to, eval::Status::up);
    EXPECT_EQ((*t)[1].to, eval::Status::down);
    auto r = (*s)->rollups(fmt::format("127.0.0.1:{}", web.port()), util::Clock::now() - 1h,
                           util::Clock::now() + 1h, std::chrono::seconds(3600));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_GE((*r)[0].checks, 10u);
    EXPECT_GE((*r)[0].failures, 3u);
}

TEST(Run, ReloadBySighupValidThenInvalid) {
    SeedDir dir;
    FlipPort a;
    auto const b = closed_port();
    auto const c = closed_port();
    dir.write("portwatch.yaml", config(target("A", a.port())));
    Daemon d(dir);
    ASSERT_TRUE(eventually([&] { return d.log().find("running") != std::string::npos; }, 5s));

    // A valid config adds B (refused): announced after the reload.
    dir.write("portwatch.yaml", config(target("A", a.port()) + target("B", b)));
    d.signal(SIGHUP);
    ASSERT_TRUE(eventually([&] { return messages_with(dir, "B (").size() == 1; }, 10s)) << d.log();

    // An invalid one is refused with FILE:LINE:COLUMN, and the old config keeps running.
    dir.write("portwatch.yaml",
              config(target("A", a.port()) + target("C", c) + "  - {host: x, port: 99999}\n"));
    d.signal(SIGHUP);
    ASSERT_TRUE(eventually(
        [&] { return d.log().find("keeping the previous config") != std::string::npos; }, 5s))
        << d.log();
    EXPECT_NE(d.log().find("portwatch.yaml:7:"), std::string::npos) << d.log();
    ASSERT_TRUE(a.set(false));  // the old config still checks A
    ASSERT_TRUE(eventually([&] { return messages_with(dir, "A (").size() == 1; }, 10s)) << d.log();
    EXPECT_TRUE(messages_with(dir, "C (").empty());

    // Fixed: C appears; B (removed) is silent, its state parked for the grace period (a list
    // rewritten in place must not lose it), so it is still in the store at this stop.
    dir.write("portwatch.yaml", config(target("A", a.port()) + target("C", c)));
    d.signal(SIGHUP);
    ASSERT_TRUE(eventually([&] { return messages_with(dir, "C (").size() == 1; }, 10s)) << d.log();
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait(10s), 0) << d.log();
    auto const st = load_store(dir);
    auto const* parked = store::StateIndex(st.state).find(fmt::format("127.0.0.1:{}", b));
    ASSERT_NE(parked, nullptr);
    EXPECT_EQ(parked->status, eval::Status::down);
    ASSERT_NE(store::StateIndex(st.state).find(fmt::format("127.0.0.1:{}", a.port())), nullptr);
    EXPECT_EQ(messages_with(dir, "B (").size(), 1u);
}

TEST(Run, ConfigFileChangeReloadsWithoutSignal) {
    SeedDir dir;
    FlipPort a;
    auto const b = closed_port();
    dir.write("portwatch.yaml", config(target("A", a.port())));
    Daemon d(dir);
    ASSERT_TRUE(eventually([&] { return d.log().find("running") != std::string::npos; }, 5s));
    // Replace the file the way editors do: write aside, rename over.
    dir.write("portwatch.yaml.new", config(target("A", a.port()) + target("B", b)));
    fs::rename(dir / "portwatch.yaml.new", dir / "portwatch.yaml");
    ASSERT_TRUE(eventually([&] { return messages_with(dir, "B (").size() == 1; }, 10s)) << d.log();
    EXPECT_NE(d.log().find("config file changed"), std::string::npos);
}

TEST(Run, SigtermWithHungNotifierExitsWithinTheGraceAndKeepsTheEvent) {
    SeedDir dir;
    dir.notifier("import time\ntime.sleep(60)");
    auto const b = closed_port();
    dir.write("portwatch.yaml", config(target("B", b), "") + "shutdown_grace: 1s\n");
    Daemon d(dir);
    ASSERT_TRUE(eventually(
        [&] {
            return d.log().find("B (") != std::string::npos ||
                   d.log().find("DOWN") != std::string::npos;
        },
        10s))
        << d.log();
    std::this_thread::sleep_for(300ms);  // the notifier is running (and hangs)
    auto const t = Clock::now();
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait(10s), 0) << d.log();
    EXPECT_LT(Clock::now() - t, 5s);
    EXPECT_TRUE(dir.calls().empty());
    auto const st = load_store(dir);
    ASSERT_EQ(st.state.outbox.size(), 1u);
    EXPECT_NE(st.state.outbox[0].message.find("B (127.0.0.1:"), std::string::npos);
}

TEST(Run, RestartKeepsStateAndDeliversPendingEvents) {
    SeedDir dir;
    // The notifier fails while a flag file exists.
    dir.notifier(
        "if os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fail')):\n"
        "    sys.exit(1)");
    dir.write("fail", "");
    auto const b = closed_port();
    dir.write("portwatch.yaml", config(target("B", b)));
    {
        Daemon d(dir);
        ASSERT_TRUE(
            eventually([&] { return d.log().find("NOTIFY failed") != std::string::npos; }, 10s))
            << d.log();
        d.signal(SIGTERM);
        ASSERT_EQ(d.wait(10s), 0) << d.log();
    }
    EXPECT_TRUE(dir.calls().empty());
    auto const st = load_store(dir);
    ASSERT_EQ(st.state.outbox.size(), 1u);
    EXPECT_EQ(st.state.outbox[0].attempts, 1);

    // Restart with a working notifier. The retry waits for its backoff (1 min): make the entry
    // due now by hand, as time passing would.
    make_outbox_due(dir / "portwatch.db");
    fs::remove(dir / "fail");
    Daemon d(dir);
    ASSERT_TRUE(eventually([&] { return dir.calls().size() == 1; }, 10s)) << d.log();
    std::this_thread::sleep_for(1s);
    // State kept: B was DOWN before the restart, so no second failure message.
    EXPECT_EQ(dir.calls().size(), 1u) << d.log();
    EXPECT_NE(d.log().find("(1 with saved state), 1 pending event(s)"), std::string::npos)
        << d.log();
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait(10s), 0);
    EXPECT_TRUE(load_store(dir).state.outbox.empty());
}

TEST(Run, KillNineAfterCommitLosesNoEvent) {
    SeedDir dir;
    auto const b = closed_port();
    dir.write("portwatch.yaml", config(target("B", b)));
    {
        // Killed right after the transition and its event were committed, before any send.
        Daemon d(dir, {{"PORTWATCH_FAULT", "daemon-after-commit"}});
        EXPECT_EQ(d.wait(10s), -SIGKILL) << d.log();
    }
    EXPECT_TRUE(dir.calls().empty());
    Daemon d(dir);
    ASSERT_TRUE(eventually([&] { return dir.calls().size() == 1; }, 10s)) << d.log();
    EXPECT_TRUE(has_seed_time_suffix(dir.calls()[0].args.at(0),
                                     fmt::format("B (127.0.0.1:{}){}", b, down)));
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(dir.calls().size(), 1u);
}

TEST(Run, KillNineWhileNotifierRunsRedeliversAfterRestart) {
    SeedDir dir;
    dir.notifier("import time\ntime.sleep(60)");
    auto const b = closed_port();
    dir.write("portwatch.yaml", config(target("B", b)));
    {
        Daemon d(dir);
        ASSERT_TRUE(eventually([&] { return d.log().find("DOWN") != std::string::npos; }, 10s))
            << d.log();
        std::this_thread::sleep_for(300ms);
        d.signal(SIGKILL);
        EXPECT_EQ(d.wait(5s), -SIGKILL);
    }
    dir.notifier("");
    Daemon d(dir);
    ASSERT_TRUE(eventually([&] { return dir.calls().size() == 1; }, 10s)) << d.log();
    EXPECT_NE(dir.calls()[0].args.at(0).find("B (127.0.0.1:"), std::string::npos);
}

TEST(Run, ConnectivityLossMarksFailuresUnknownAndAnnouncesNothing) {
    SeedDir dir;
    FlipPort web;
    FlipPort canary;
    dir.write("portwatch.yaml",
              config(target("Web", web.port()), "") +
                  fmt::format("connectivity:\n  canaries: ['127.0.0.1:{}']\n  interval: 100ms\n",
                              canary.port()));
    Daemon d(dir);
    std::this_thread::sleep_for(700ms);
    ASSERT_TRUE(canary.set(false));
    std::this_thread::sleep_for(500ms);  // the canary round notices
    ASSERT_TRUE(web.set(false));
    std::this_thread::sleep_for(1500ms);
    EXPECT_TRUE(dir.calls().empty()) << d.log();
    EXPECT_NE(d.log().find("connectivity lost"), std::string::npos) << d.log();
    ASSERT_TRUE(canary.set(true));
    ASSERT_TRUE(eventually([&] { return dir.calls().size() == 1; }, 10s)) << d.log();
    EXPECT_EQ(dir.calls()[0].event, "down");
}

TEST(Run, ValidateAndCheckShareTheConfig) {
    SeedDir dir;
    auto const b = closed_port();
    dir.write("portwatch.yaml", config(target("B", b)));
    auto const v = run_portwatch({"validate", "-c", (dir / "portwatch.yaml").string()});
    EXPECT_EQ(v.exit_code, 0) << v.err;
    dir.write("bad.yaml", "targets:\n  - {host: a, port: nope}\n");
    auto const bad = run_portwatch({"validate", "-c", (dir / "bad.yaml").string()});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("bad.yaml:2:"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("targets[0].port"), std::string::npos) << bad.err;

    // check -c: one run on the same config and store.
    auto const r = run_portwatch({"check", "-c", (dir / "portwatch.yaml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_EQ(dir.calls().size(), 1u);
    EXPECT_TRUE(has_seed_time_suffix(dir.calls()[0].args.at(0),
                                     fmt::format("B (127.0.0.1:{}){}", b, down)));
    auto const st = load_store(dir);
    ASSERT_NE(store::StateIndex(st.state).find(fmt::format("127.0.0.1:{}", b)), nullptr);
    // And the daemon on the same file keeps that state: no second message.
    Daemon d(dir);
    ASSERT_TRUE(eventually([&] { return d.log().find("running") != std::string::npos; }, 5s));
    std::this_thread::sleep_for(800ms);
    EXPECT_EQ(dir.calls().size(), 1u) << d.log();
}

TEST(Run, CheckModeCanariesMakeFailuresUnknown) {
    SeedDir dir;
    auto const b = closed_port();
    auto const canary = closed_port();
    dir.write("portwatch.yaml",
              config(target("B", b)) +
                  fmt::format("connectivity:\n  canaries: ['127.0.0.1:{}']\n", canary));
    auto const r = run_portwatch({"check", "-c", (dir / "portwatch.yaml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("connectivity lost"), std::string::npos) << r.err;
    EXPECT_TRUE(dir.calls().empty());
    // With a canary that answers, the same failure is announced.
    FlipPort ok;
    dir.write("portwatch.yaml",
              config(target("B", b)) +
                  fmt::format("connectivity:\n  canaries: ['127.0.0.1:{}']\n", ok.port()));
    auto const r2 = run_portwatch({"check", "-c", (dir / "portwatch.yaml").string()});
    EXPECT_EQ(r2.exit_code, 0) << r2.out << r2.err;
    EXPECT_EQ(dir.calls().size(), 1u);
}

// Issue 17 item 6: a generator rewrites an included list in place (truncate, then one line at
// a time, each write seen by a reload). Targets that come back keep their state: no second
// failure message, and a recovery after the rewrite is still announced.
TEST(Run, IncludedListRewrittenInPlaceKeepsState) {
    SeedDir dir;
    FlipPort a;
    ASSERT_TRUE(a.set(false));
    std::vector<std::uint16_t> ports{a.port(), closed_port(), closed_port(), closed_port()};
    std::string lines;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        lines += fmt::format("127.0.0.1 {} T{}\n", ports[i], i);
    }
    dir.write("targets.lst", lines);
    dir.write("portwatch.yaml",
              "defaults:\n  interval: 200ms\n  timeout: 500ms\n"
              "include: [targets.lst]\ntargets: []\n");
    Daemon d(dir);
    ASSERT_TRUE(eventually([&] { return messages_with(dir, down).size() == ports.size(); }, 30s))
        << d.log();

    // As `: > targets.lst; echo LINE >> targets.lst; ...` does: one close per write.
    auto write_list = [&](int flags, std::string const& text) {
        int const fd = ::open((dir / "targets.lst").c_str(), O_WRONLY | flags);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        ::close(fd);
        std::this_thread::sleep_for(600ms);  // a reload sees each partial list
    };
    write_list(O_TRUNC, "");
    for (std::size_t i = 0; i < ports.size(); ++i) {
        write_list(O_APPEND, fmt::format("127.0.0.1 {} T{}\n", ports[i], i));
    }
    EXPECT_TRUE(eventually(
        [&] { return d.log().find("(1 back within the grace)") != std::string::npos; }, 5s));
    std::this_thread::sleep_for(3s);  // several checks of every target after the rewrite
    EXPECT_EQ(messages_with(dir, down).size(), ports.size()) << d.log();

    ASSERT_TRUE(a.set(true));
    EXPECT_TRUE(eventually([&] { return messages_with(dir, "T0 (").size() == 2; }, 10s)) << d.log();
    EXPECT_EQ(messages_with(dir, up).size(), 1u);
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait(10s), 0) << d.log();
}

}  // namespace
}  // namespace portwatch::test
