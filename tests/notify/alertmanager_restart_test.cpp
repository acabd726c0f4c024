// The alertmanager notifier across a daemon restart, against Debian's prometheus-alertmanager
// (resolve_timeout 3 s): a DOWN target's alert stays active after `portwatch run` restarts
// (the new daemon takes the firing set up again from the stored state and re-sends it), and
// the target's recovery resolves it.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "notify/http_notifier.hpp"
#include "support/background_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::notify {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// A listening socket on 127.0.0.1:`port` (0: any), SO_REUSEADDR; -1 when it cannot bind.
int listen_on(std::uint16_t port) {
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::uint16_t port_of(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

std::string curl(std::string const& url) {
    return test::run_process({"curl", "-sS", "--max-time", "5", url}, {.timeout = 10s}).out;
}

std::string read(fs::path const& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

TEST(AlertmanagerDaemon, AlertStaysActiveAcrossARestartThenResolves) {
    char const* binary = "/usr/bin/prometheus-alertmanager";
    if (!fs::exists(binary)) {
        GTEST_SKIP() << binary << " is not installed (Debian package prometheus-alertmanager)";
    }
    test::TempDir dir;
    dir.write("am.yml",
              "global:\n  resolve_timeout: 3s\nroute:\n  receiver: none\nreceivers:\n"
              "  - name: none\n");
    int const am_fd = listen_on(0);
    auto const am_port = port_of(am_fd);
    ::close(am_fd);
    auto const base = fmt::format("http://127.0.0.1:{}", am_port);
    test::BackgroundProcess am(
        {binary, "--config.file=" + (dir / "am.yml").string(),
         fmt::format("--web.listen-address=127.0.0.1:{}", am_port),
         "--storage.path=" + (dir / "data").string(), "--cluster.listen-address="},
        dir.path(), {}, dir / "am.log");
    ASSERT_TRUE(test::poll_until([&] { return curl(base + "/-/ready").find("OK") == 0; }, 20s))
        << read(dir / "am.log");

    // The target's port: free now (refused: DOWN), listened on again later (UP).
    int fd = listen_on(0);
    auto const port = port_of(fd);
    ::close(fd);
    auto const key = fmt::format("127.0.0.1:{}", port);
    dir.write("portwatch.yaml",
              fmt::format("defaults: {{interval: 200ms, timeout: 500ms, failure_threshold: 1, "
                          "success_threshold: 1}}\n"
                          "notifiers:\n  - {{name: am, type: alertmanager, url: '{}', "
                          "resend_interval: 1s}}\n"
                          "store: sqlite:portwatch.db\n"
                          "targets:\n  - {{name: db, host: 127.0.0.1, port: {}}}\n",
                          base, port));
    auto start = [&] {
        return std::make_unique<test::BackgroundProcess>(
            std::vector<std::string>{test::portwatch_binary(), "run", "-c",
                                     (dir / "portwatch.yaml").string()},
            dir.path(), std::map<std::string, std::string>{}, dir / "daemon.log");
    };
    // The alert of `key` as Alertmanager lists it (its resolved alerts are not listed).
    auto alert = [&]() -> std::optional<nlohmann::json> {
        auto const j = nlohmann::json::parse(curl(base + "/api/v2/alerts"), nullptr, false);
        if (j.is_array()) {
            for (auto const& a : j) {
                if (a["labels"].value("key", "") == key &&
                    a["labels"].value("alertname", "") == "PortwatchTargetDown") {
                    return a;
                }
            }
        }
        return std::nullopt;
    };
    auto active = [&] {
        auto const a = alert();
        return a && (*a)["status"]["state"] == "active" &&
               (*a)["endsAt"].get<std::string>() > iso_utc(std::chrono::system_clock::now());
    };

    {
        auto d = start();
        ASSERT_TRUE(test::poll_until(active, 20s)) << read(dir / "daemon.log");
        d->signal(SIGTERM);
        ASSERT_EQ(d->wait(15s), 0) << read(dir / "daemon.log");
    }
    auto d = start();
    // Past three resolve_timeouts after the restart (the last alert before it ended at most
    // 3 s after it), the alert is still active: the new daemon re-sends it every second.
    std::this_thread::sleep_for(9s);
    EXPECT_TRUE(active()) << "resolved while portwatch says DOWN: " << alert().value_or(nullptr)
                          << "\n"
                          << read(dir / "daemon.log");
    // The recovery resolves it.
    fd = listen_on(port);
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(test::poll_until([&] { return !active(); }, 20s)) << read(dir / "daemon.log");
    ::close(fd);
    d->signal(SIGTERM);
    EXPECT_EQ(d->wait(15s), 0) << read(dir / "daemon.log");
}

}  // namespace
}  // namespace portwatch::notify
