// `portwatch run` as systemd and an operator see it: log lines with a level and the time zone,
// journald priority prefixes under JOURNAL_STREAM, JSON lines, the reload line naming targets,
// a stop that cancels deliveries without a warning, and sd_notify on a real NOTIFY_SOCKET
// (READY=1, STATUS=, WATCHDOG=1).
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.hpp"
#include "support/background_process.hpp"

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// The lines portwatch wrote. Under ASan the runtime adds notes of its own to stderr (the
/// "ignoring __asan_handle_no_return" warning of a coroutine's stack switch and its two
/// follow-up lines); those are not ours. A real sanitizer error aborts the daemon, which the
/// tests see in its exit status.
std::vector<std::string> lines_of(std::string const& text) {
    static std::regex const sanitizer_note(
        R"(^==\d+==.*|^False positive error reports may follow$|^For details see https://github\.com/google/sanitizers/.*)");
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!std::regex_match(line, sanitizer_note)) {
            out.push_back(line);
        }
    }
    return out;
}

std::string target(std::string const& name, std::uint16_t port) {
    return fmt::format("  - {{name: {0}, host: 127.0.0.1, port: {1}, description: {0}}}\n", name,
                       port);
}

/// `portwatch run` in `dir` on dir/portwatch.yaml, its output in dir/daemon.log.
struct RunningDaemon {
    RunningDaemon(TempDir const& dir, std::map<std::string, std::string> env = {},
                  std::vector<std::string> extra = {})
        : log(dir / "daemon.log"), proc(argv(dir, std::move(extra)), dir.path(), env, log) {}
    static std::vector<std::string> argv(TempDir const& dir, std::vector<std::string> extra) {
        std::vector<std::string> a{portwatch_binary(), "run", "-c",
                                   (dir / "portwatch.yaml").string()};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    std::string text() const {
        std::ifstream in(log);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    bool logged(std::string const& needle, std::chrono::milliseconds within = 10s) const {
        return poll_until([&] { return text().find(needle) != std::string::npos; }, within);
    }
    std::optional<int> stop() {
        proc.signal(SIGTERM);
        return proc.wait(10s);
    }
    fs::path log;
    BackgroundProcess proc;
};

std::string base_config(std::string const& targets, std::string const& extra = "") {
    return "defaults:\n  interval: 200ms\n  timeout: 100ms\n" + extra + "targets:\n" + targets;
}

TEST(RunLogs, EveryLineHasTimeZoneAndLevel) {
    TempDir dir;
    OpenPort open;
    dir.write("portwatch.yaml",
              base_config(target("web", open.port()) + target("gone", closed_port())));
    RunningDaemon run(dir);
    ASSERT_TRUE(run.logged("DOWN gone")) << run.text();
    ASSERT_EQ(run.stop(), 0);
    std::regex const shape(
        R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (DEBUG|INFO|WARN|ERROR) \S.*$)");
    auto const lines = lines_of(run.text());
    ASSERT_GE(lines.size(), 3u);
    for (auto const& l : lines) {
        EXPECT_TRUE(std::regex_match(l, shape)) << l;
    }
}

TEST(RunLogs, JournalPrioritiesWhenStderrIsTheJournal) {
    TempDir dir;
    dir.write("portwatch.yaml", base_config(target("gone", closed_port())) +
                                    "  - {name: bad, host: 127.0.0.1, port: 9, timeout: 1s}\n");
    dir.write("daemon.log", "");
    struct stat st {};
    ASSERT_EQ(::stat((dir / "daemon.log").c_str(), &st), 0);
    RunningDaemon run(dir, {{"JOURNAL_STREAM", fmt::format("{}:{}", st.st_dev, st.st_ino)}});
    ASSERT_TRUE(run.logged("DOWN gone")) << run.text();
    ASSERT_EQ(run.stop(), 0);
    auto const lines = lines_of(run.text());
    bool warning = false;
    for (auto const& l : lines) {
        EXPECT_TRUE(std::regex_match(l, std::regex(R"(^<[3467]>\S.*$)"))) << l;
        warning = warning || l.rfind("<4>", 0) == 0;
    }
    EXPECT_TRUE(warning) << run.text();  // "timeout is longer than interval"
    EXPECT_TRUE(run.text().find("<6>DOWN gone") != std::string::npos) << run.text();
}

TEST(RunLogs, JsonLinesAndTheReloadLineNamesTargets) {
    TempDir dir;
    OpenPort open;
    // Twelve removed targets: the line names ten, then "+2 more".
    std::string targets;
    for (int i = 0; i < 12; ++i) {
        targets += fmt::format("  - {{name: old{:02}, host: 127.0.0.{}, port: {}}}\n", i, i + 2,
                               open.port());
    }
    dir.write("portwatch.yaml", base_config(targets + target("kept", open.port())));
    RunningDaemon run(dir, {}, {"--log-format", "json"});
    ASSERT_TRUE(run.logged("running:")) << run.text();
    dir.write("portwatch.yaml",
              base_config(target("kept", open.port()) + target("fresh", closed_port())));
    run.proc.signal(SIGHUP);
    ASSERT_TRUE(run.logged("\"added\":[\"fresh\"]")) << run.text();
    ASSERT_EQ(run.stop(), 0);
    bool reload_seen = false;
    for (auto const& l : lines_of(run.text())) {
        auto const j = nlohmann::json::parse(l, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << l;
        EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << l;
        auto const msg = j.value("msg", "");
        if (j.value("added", nlohmann::json::array()) == nlohmann::json::array({"fresh"})) {
            reload_seen = true;
            EXPECT_EQ(j.at("removed").size(), 12u) << l;
            EXPECT_EQ(j.at("removed")[0], "old00") << l;
            EXPECT_NE(msg.find("; added: fresh; removed: old00, old01"), std::string::npos) << l;
            EXPECT_NE(msg.find("old09 +2 more"), std::string::npos) << l;  // bounded
            EXPECT_EQ(msg.find("old10"), std::string::npos) << l;
        }
    }
    EXPECT_TRUE(reload_seen) << run.text();
}

TEST(RunLogs, ConfigChoosesTheFormat) {
    TempDir dir;
    dir.write("portwatch.yaml", "log_format: json\n" + base_config(target("gone", closed_port())));
    RunningDaemon run(dir);
    ASSERT_TRUE(run.logged("running:")) << run.text();
    ASSERT_EQ(run.stop(), 0);
    std::size_t json = 0;
    for (auto const& l : lines_of(run.text())) {
        auto const j = nlohmann::json::parse(l, nullptr, false);
        json += !j.is_discarded() && j.contains("msg") ? 1 : 0;
        if (l.find("running:") != std::string::npos || l.find("stopped") != std::string::npos) {
            EXPECT_FALSE(j.is_discarded()) << l;
        }
    }
    EXPECT_GE(json, 3u) << run.text();

    // A bad value is a config error with its place.
    dir.write("portwatch.yaml", "log_format: xml\n" + base_config(target("gone", closed_port())));
    auto const r = run_portwatch({"validate", "-c", (dir / "portwatch.yaml").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("portwatch.yaml:1:13: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("expected text, journal or json"), std::string::npos) << r.err;
}

TEST(RunLogs, StopCancelsDeliveriesWithoutWarning) {
    TempDir dir;
    auto const marker = dir / "started";
    dir.write("notify.py",
              fmt::format("import time, sys\nopen({:?}, 'w').close()\ntime.sleep(30)\n",
                          marker.string()));
    dir.write("portwatch.yaml",
              base_config(target("gone", closed_port()),
                          fmt::format("shutdown_grace: 300ms\nnotifiers:\n  - {{name: slow, "
                                      "type: exec, command: [/usr/bin/python3, {}]}}\n",
                                      (dir / "notify.py").string())));
    RunningDaemon run(dir);
    ASSERT_TRUE(poll_until([&] { return fs::exists(marker); }, 10s)) << run.text();
    ASSERT_EQ(run.stop(), 0);
    auto const text = run.text();
    EXPECT_NE(text.find("cancelled"), std::string::npos) << text;
    for (auto const& l : lines_of(text)) {
        EXPECT_EQ(l.find(" WARN "), std::string::npos) << l;
        EXPECT_EQ(l.find(" ERROR "), std::string::npos) << l;
        EXPECT_EQ(l.find("NOTIFY failed"), std::string::npos) << l;
    }
}

/// A unix datagram socket playing systemd's NOTIFY_SOCKET.
class NotifySocket {
  public:
    explicit NotifySocket(fs::path path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
        ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~NotifySocket() { ::close(fd_); }
    bool ok() const { return ok_; }
    /// Datagrams until `done(all so far)` or `timeout`.
    template <class Done>
    std::vector<std::string> receive_until(Done done, std::chrono::milliseconds timeout) {
        auto const end = std::chrono::steady_clock::now() + timeout;
        while (!done(got_) && std::chrono::steady_clock::now() < end) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) == 1) {
                char buf[4096];
                auto const n = ::recv(fd_, buf, sizeof buf, 0);
                if (n > 0) {
                    got_.emplace_back(buf, static_cast<std::size_t>(n));
                }
            }
        }
        return got_;
    }

  private:
    fs::path path_;
    int fd_ = -1;
    bool ok_ = false;
    std::vector<std::string> got_;
};

std::size_t count(std::vector<std::string> const& got, std::string const& what) {
    return static_cast<std::size_t>(std::count(got.begin(), got.end(), what));
}

std::size_t count_prefix(std::vector<std::string> const& got, std::string const& prefix) {
    return static_cast<std::size_t>(std::count_if(
        got.begin(), got.end(), [&](auto const& s) { return s.rfind(prefix, 0) == 0; }));
}

TEST(RunSystemd, ReadyStatusAndWatchdogOnTheNotifySocket) {
    TempDir dir;
    OpenPort open;
    NotifySocket sock(dir / "notify.sock");
    ASSERT_TRUE(sock.ok());
    dir.write("portwatch.yaml",
              base_config(target("web", open.port()) + target("gone", closed_port())));
    RunningDaemon run(
        dir, {{"NOTIFY_SOCKET", (dir / "notify.sock").string()}, {"WATCHDOG_USEC", "200000"}});
    // The DOWN event waits in the outbox (no notifier configured): "outbox 1".
    auto const want_status = "STATUS=2 target(s), 1 down, outbox 1";
    auto got = sock.receive_until(
        [&](auto const& g) {
            return count(g, "READY=1") >= 1 && count(g, want_status) >= 1 &&
                   count(g, "WATCHDOG=1") >= 3;
        },
        15s);
    EXPECT_EQ(count(got, "READY=1"), 1u) << run.text();
    EXPECT_EQ(count(got, want_status), 1u) << ::testing::PrintToString(got);  // on change only
    EXPECT_EQ(count_prefix(got, "STATUS=2 target(s), 0 down"), 1u) << ::testing::PrintToString(got);
    EXPECT_GE(count(got, "WATCHDOG=1"), 3u) << run.text();
    EXPECT_EQ(count(got, "STOPPING=1"), 0u);
    ASSERT_EQ(run.stop(), 0);
    got = sock.receive_until([](auto const& g) { return count(g, "STOPPING=1") >= 1; }, 5s);
    EXPECT_EQ(count(got, "STOPPING=1"), 1u);
}

TEST(RunSystemd, NoWatchdogForAnotherPid) {
    TempDir dir;
    NotifySocket sock(dir / "notify.sock");
    ASSERT_TRUE(sock.ok());
    dir.write("portwatch.yaml", base_config(target("gone", closed_port())));
    RunningDaemon run(dir, {{"NOTIFY_SOCKET", (dir / "notify.sock").string()},
                            {"WATCHDOG_USEC", "100000"},
                            {"WATCHDOG_PID", "1"}});
    auto const got = sock.receive_until(
        [](auto const& g) {
            return std::any_of(g.begin(), g.end(),
                               [](auto const& s) { return s.find("1 down") != std::string::npos; });
        },
        10s);
    ASSERT_EQ(count(got, "READY=1"), 1u) << run.text();
    EXPECT_EQ(count(got, "WATCHDOG=1"), 0u);
    ASSERT_EQ(run.stop(), 0);
}

}  // namespace
}  // namespace portwatch::test
