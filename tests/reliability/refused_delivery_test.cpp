// Issue 15 item 3: a destination that refuses an entry for good (`400 invalid_payload`) stops
// that entry's retries, in this daemon and in the next one, says so loudly (an error line),
// and shows it in /metrics (portwatch_notifications_refused_total{notifier=...}); another
// destination of the same events is not held up.
#include <signal.h>

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/http_support.hpp"
#include "notify/http_receiver.hpp"
#include "reliability/reliability_support.hpp"
#include "support/background_process.hpp"

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;

struct RefusingDir {
    TempDir dir;
    HttpReceiver rx;
    std::uint16_t http_port = free_port();

    void config(std::uint16_t a, std::uint16_t b) const {
        dir.write("portwatch.yaml",
                  fmt::format("defaults:\n  interval: 100ms\n  timeout: 500ms\n"
                              "  failure_threshold: 1\n  success_threshold: 1\n"
                              "notifiers:\n"
                              "  - {{name: hook, type: webhook, url: '{}/hook', concurrency: 1}}\n"
                              "  - {{name: good, type: webhook, url: '{}/good'}}\n"
                              "store: sqlite:portwatch.db\n"
                              "http:\n  listen: 127.0.0.1:{}\n"
                              "targets:\n"
                              "  - {{name: A, host: 127.0.0.1, port: {}}}\n"
                              "  - {{name: B, host: 127.0.0.1, port: {}}}\n",
                              rx.url("bad"), rx.url("ok"), http_port, a, b));
    }
    std::unique_ptr<BackgroundProcess> start() const {
        return std::make_unique<BackgroundProcess>(
            std::vector<std::string>{portwatch_binary(), "run", "-c",
                                     (dir / "portwatch.yaml").string()},
            dir.path(), std::map<std::string, std::string>{}, dir / "daemon.log");
    }
    std::string log() const { return slurp(dir / "daemon.log"); }
    /// How many daemons have logged that they run.
    std::size_t running() const {
        std::size_t n = 0;
        for (std::size_t at = 0; (at = log().find(" running: ", at)) != std::string::npos; ++at) {
            ++n;
        }
        return n;
    }
    /// The event ids of the DOWN messages `path` got (in order).
    std::vector<std::string> downs(std::string const& path, std::string const& key) const {
        std::vector<std::string> out;
        for (auto const& r : rx.requests()) {
            auto const j = nlohmann::json::parse(r.body, nullptr, false);
            if (r.path == path && !j.is_discarded() && j.value("event", "") == "down" &&
                j.value("key", "") == key) {
                out.push_back(j.value("id", ""));
            }
        }
        return out;
    }
    std::string metrics() const {
        return fetch(fmt::format("http://127.0.0.1:{}/metrics", http_port)).body;
    }
};

TEST(RefusedDelivery, NotRetriedLoggedCountedAndNotAfterRestartEither) {
    RefusingDir d;
    ASSERT_TRUE(d.rx.ok());
    OpenPort a;
    OpenPort b;
    auto const key_a = fmt::format("127.0.0.1:{}", a.port());
    auto const key_b = fmt::format("127.0.0.1:{}", b.port());
    d.config(a.port(), b.port());
    std::string const refused_a = "portwatch_notifications_refused_total{notifier=\"hook\"} 1";
    {
        auto p = d.start();
        // Both seen UP (silent), then A goes DOWN: `good` gets it, `hook` refuses it.
        ASSERT_TRUE(poll_until([&] { return d.running() == 1; }, 20s)) << d.log();
        std::this_thread::sleep_for(500ms);  // a few checks: both targets seen UP
        a.close();
        ASSERT_TRUE(poll_until([&] { return d.downs("/ok/good", key_a).size() == 1; }, 20s))
            << d.log();
        ASSERT_TRUE(
            poll_until([&] { return d.metrics().find(refused_a) != std::string::npos; }, 20s))
            << d.metrics() << d.log();
        auto const m = d.metrics();
        EXPECT_NE(m.find("portwatch_notifications_refused_total{notifier=\"good\"} 0"),
                  std::string::npos)
            << m;
        EXPECT_NE(d.log().find("NOTIFY REJECTED for good via hook"), std::string::npos) << d.log();
        EXPECT_NE(d.log().find("invalid_payload: missing text"), std::string::npos) << d.log();
        ASSERT_EQ(d.downs("/bad/hook", key_a).size(), 1u) << d.log();
        p->signal(SIGTERM);
        ASSERT_EQ(p->wait(15s), 0) << d.log();
    }
    // The next daemon does not send A's refused DOWN again: `hook` runs one delivery at a
    // time and the loaded entries go first, so by the time B's DOWN reached it, a retry of
    // A's would have too.
    auto p = d.start();
    ASSERT_TRUE(poll_until([&] { return d.running() == 2; }, 20s)) << d.log();
    b.close();
    ASSERT_TRUE(poll_until([&] { return d.downs("/bad/hook", key_b).size() == 1; }, 20s))
        << d.log();
    EXPECT_EQ(d.downs("/bad/hook", key_a).size(), 1u) << "the refused entry was retried\n"
                                                      << d.log();
    EXPECT_EQ(d.downs("/ok/good", key_a).size(), 1u) << d.log();
    ASSERT_TRUE(poll_until([&] { return d.metrics().find(refused_a) != std::string::npos; }, 20s))
        << d.metrics();
    p->signal(SIGTERM);
    EXPECT_EQ(p->wait(15s), 0) << d.log();
}

}  // namespace
}  // namespace portwatch::test
