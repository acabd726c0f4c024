// History reads off the serving thread: the status data's history comes from a summary read
// on the HistoryWorker's own thread, so /healthz, /metrics and the status data itself answer
// while a history read is held.
#include "http/history.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/fixtures.hpp"
#include "http/server.hpp"

namespace portwatch::http {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

/// The fake history, whose rollup reads wait (at most 20 s) until released.
class HeldHistory : public test::FakeHistory {
  public:
    util::Result<std::vector<store::Rollup>> rollups(std::string const& key, util::TimePoint from,
                                                     util::TimePoint to,
                                                     std::chrono::seconds bucket) override {
        std::unique_lock lock(mutex_);
        entered_ = true;
        cv_.notify_all();
        cv_.wait_for(lock, 20s, [this] { return released_; });
        lock.unlock();
        return FakeHistory::rollups(key, from, to, bucket);
    }
    bool wait_entered() {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, 10s, [this] { return entered_; });
    }
    void release() {
        std::lock_guard lock(mutex_);
        released_ = true;
        cv_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool entered_ = false;
    bool released_ = false;
};

struct Response {
    int status = 0;  ///< 0: no answer within the bound
    std::string head;
    std::string body;
};

/// One GET on a new connection, waiting at most `bound` for the whole answer.
Response get(std::uint16_t port, std::string const& target, std::chrono::seconds bound = 3s,
             std::string const& headers = "") {
    Response r;
    int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{.tv_sec = static_cast<time_t>(bound.count()), .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return r;
    }
    std::string const req = "GET " + target +
                            " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers +
                            "\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        ::close(fd);
        return r;
    }
    std::string raw;
    char buf[16384];
    auto const deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
        auto const n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        raw.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    auto const head_end = raw.find("\r\n\r\n");
    if (raw.size() < 12 || head_end == std::string::npos)
        return r;
    // Connection: close: the body is what follows the head (no chunking for these).
    r.status = std::stoi(raw.substr(9, 3));
    r.head = raw.substr(0, head_end + 2);
    r.body = raw.substr(head_end + 4);
    return r;
}

TEST(HistoryWorker, HealthzMetricsAndStatusAnswerWhileAHistoryReadIsHeld) {
    HeldHistory history;
    history.uptime_by_key = test::make_history().uptime_by_key;
    auto snapshot = std::make_shared<http::Snapshot const>(test::make_snapshot());
    Server server({.listen = "127.0.0.1:0"}, ServerSources{.snapshot = [&] { return snapshot; },
                                                           .history = &history,
                                                           .now = [] { return test::http_now; }});
    ASSERT_TRUE(server.start());
    auto const port = server.port();

    // The first status request starts a history read, which is held.
    Response first;
    std::thread asker([&] { first = get(port, "/api/v1/status", 20s); });
    ASSERT_TRUE(history.wait_entered());

    auto const health = get(port, "/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok\n");
    auto const metrics = get(port, "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("portwatch_target_up{"), std::string::npos);
    // The status data answers too, without history while none was read yet.
    auto const status = get(port, "/api/v1/status");
    ASSERT_EQ(status.status, 200);
    EXPECT_TRUE(json::parse(status.body)["groups"][0]["targets"][0]["days"].empty());

    history.release();
    asker.join();
    EXPECT_EQ(first.status, 200);
    // Once read, the summary's bars are served (bounded wait for the worker).
    bool bars = false;
    for (int i = 0; i < 100 && !bars; ++i) {
        auto const r = get(port, "/api/v1/status");
        ASSERT_EQ(r.status, 200);
        auto const j = json::parse(r.body);
        for (auto const& g : j["groups"]) {
            for (auto const& t : g["targets"]) {
                if (t["id"] == "web" && t["days"].size() == status_days)
                    bars = !t["days"][status_days - 1].is_null();
            }
        }
        if (!bars)
            std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(bars) << get(port, "/api/v1/status").body;
    server.stop();
}

TEST(HistoryWorker, ReadsTheSummaryOfEveryTargetAtOnce) {
    auto history = test::make_history();
    auto const snap = test::make_snapshot();
    auto const summary = read_history_summary(history, snap, test::http_now);
    EXPECT_TRUE(summary.error.empty());
    EXPECT_EQ(summary.targets, snap.targets.size());
    auto const& web = summary.status.at("127.0.0.1:8080");
    ASSERT_EQ(web.days.size(), status_days);
    ASSERT_EQ(web.latency_ms.size(), status_hours);
    // The same figures as one target's own reads.
    auto const one = fetch_status_history(&history, "127.0.0.1:8080", test::http_now);
    EXPECT_EQ(web.days, one.days);
    EXPECT_EQ(web.latency_ms, one.latency_ms);
    EXPECT_DOUBLE_EQ(*summary.uptime.at("127.0.0.1:5432")[0], 0.9);

    history.fail = true;
    auto const failed = read_history_summary(history, snap, test::http_now);
    EXPECT_EQ(failed.error, "database is locked");
    EXPECT_TRUE(failed.status.empty());
}

// Not history, but the same raw client: /metrics compressed on request, and Vary on both.
TEST(MetricsEndpoint, GzipWhenAskedAndVaryOnAcceptAndEncoding) {
    auto snapshot = std::make_shared<http::Snapshot const>(test::make_snapshot());
    Server server({.listen = "127.0.0.1:0"}, ServerSources{.snapshot = [&] { return snapshot; }});
    ASSERT_TRUE(server.start());
    auto const plain = get(server.port(), "/metrics");
    ASSERT_EQ(plain.status, 200);
    EXPECT_NE(plain.head.find("Vary: Accept, Accept-Encoding\r\n"), std::string::npos)
        << plain.head;
    EXPECT_EQ(plain.head.find("Content-Encoding"), std::string::npos);
    EXPECT_NE(plain.body.find("process_open_fds "), std::string::npos);
    auto const zipped = get(server.port(), "/metrics", 3s, "Accept-Encoding: gzip, br\r\n");
    ASSERT_EQ(zipped.status, 200);
    EXPECT_NE(zipped.head.find("Content-Encoding: gzip\r\n"), std::string::npos) << zipped.head;
    EXPECT_NE(zipped.head.find("Vary: Accept, Accept-Encoding\r\n"), std::string::npos);
    ASSERT_GE(zipped.body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(zipped.body[0]), 0x1f);
    EXPECT_LT(zipped.body.size(), plain.body.size());
    server.stop();
}

}  // namespace
}  // namespace portwatch::http
