// History reads off the serving thread: the status data's history comes from a summary read
// on the HistoryWorker's own thread, so /healthz, /metrics and the status data itself answer
// while a history read is held.
#include "http/history.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
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

/// The fake history, whose reads (rollups, uptime, transitions) wait (at most 20 s) until
/// released.
class HeldHistory : public test::FakeHistory {
  public:
    util::Result<std::vector<store::Rollup>> rollups(std::string const& key, util::TimePoint from,
                                                     util::TimePoint to,
                                                     std::chrono::seconds bucket) override {
        hold();
        return FakeHistory::rollups(key, from, to, bucket);
    }
    util::Result<std::optional<double>> uptime(std::string const& key, util::TimePoint from,
                                               util::TimePoint to) override {
        hold();
        return FakeHistory::uptime(key, from, to);
    }
    util::Result<std::vector<store::Transition>> transitions(std::string const& key,
                                                             std::size_t limit) override {
        hold();
        return FakeHistory::transitions(key, limit);
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
    void hold() {
        std::unique_lock lock(mutex_);
        entered_ = true;
        cv_.notify_all();
        cv_.wait_for(lock, 20s, [this] { return released_; });
    }

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

// The API's history (target list, one target, events, uptime badges) is read on the server's
// history thread: while a read is held, /healthz and /metrics answer; once released, every
// held request answers with its history.
TEST(HistoryThread, HealthzAndMetricsAnswerWhileAnApiHistoryReadIsHeld) {
    HeldHistory history;
    auto const fixed = test::make_history();
    history.uptime_by_key = fixed.uptime_by_key;
    history.all_transitions = fixed.all_transitions;
    auto snapshot = std::make_shared<http::Snapshot const>(test::make_snapshot());
    Server server({.listen = "127.0.0.1:0"}, ServerSources{.snapshot = [&] { return snapshot; },
                                                           .history = &history,
                                                           .now = [] { return test::http_now; }});
    ASSERT_TRUE(server.start());
    auto const port = server.port();

    std::vector<std::string> const targets = {"/api/v1/targets?limit=100", "/api/v1/targets/web",
                                              "/api/v1/events?limit=2",
                                              "/badge/web/uptime/24h.svg"};
    std::vector<Response> held(targets.size());
    std::vector<std::thread> askers;
    askers.emplace_back([&] { held[0] = get(port, targets[0], 20s); });
    ASSERT_TRUE(history.wait_entered());
    for (std::size_t i = 1; i < targets.size(); ++i)
        askers.emplace_back([&, i] { held[i] = get(port, targets[i], 20s); });

    for (int round = 0; round < 3; ++round) {
        auto const health = get(port, "/healthz");
        EXPECT_EQ(health.status, 200);
        EXPECT_EQ(health.body, "ok\n");
        auto const metrics = get(port, "/metrics");
        EXPECT_EQ(metrics.status, 200);
        EXPECT_NE(metrics.body.find("portwatch_target_up{"), std::string::npos);
    }

    history.release();
    for (auto& t : askers)
        t.join();
    ASSERT_EQ(held[0].status, 200) << held[0].body;
    auto j = json::parse(held[0].body);
    bool db = false;
    for (auto const& t : j["targets"]) {
        if (t["id"] == "db") {
            db = true;
            EXPECT_DOUBLE_EQ(t["uptime_percent"]["7d"].get<double>(), 90.0);
        }
    }
    EXPECT_TRUE(db) << held[0].body;
    ASSERT_EQ(held[1].status, 200) << held[1].body;
    j = json::parse(held[1].body);
    EXPECT_EQ(j["transitions"].size(), 1u);
    EXPECT_DOUBLE_EQ(j["uptime_percent"]["24h"].get<double>(), 99.95);
    ASSERT_EQ(held[2].status, 200) << held[2].body;
    EXPECT_EQ(json::parse(held[2].body)["events"].size(), 2u);
    ASSERT_EQ(held[3].status, 200) << held[3].body;
    EXPECT_NE(held[3].body.find(">99.95%</text>"), std::string::npos) << held[3].body;
    server.stop();
}

// A full history queue answers at once: 503 with Retry-After, never a wait.
TEST(HistoryThread, AFullQueueAnswers503WithRetryAfter) {
    HeldHistory history;
    history.uptime_by_key = test::make_history().uptime_by_key;
    auto snapshot = std::make_shared<http::Snapshot const>(test::make_snapshot());
    Server server({.listen = "127.0.0.1:0", .history_queue = 1},
                  ServerSources{.snapshot = [&] { return snapshot; },
                                .history = &history,
                                .now = [] { return test::http_now; }});
    ASSERT_TRUE(server.start());
    auto const port = server.port();

    Response running;
    std::thread first([&] { running = get(port, "/badge/web/uptime/24h.svg", 20s); });
    ASSERT_TRUE(history.wait_entered());
    // One of these two waits in the queue (of one), the other finds it full.
    Response a, b;
    std::atomic<bool> a_done = false, b_done = false;
    std::thread second([&] {
        a = get(port, "/badge/db/uptime/7d.svg", 20s);
        a_done = true;
    });
    std::thread third([&] {
        b = get(port, "/api/v1/targets/db", 20s);
        b_done = true;
    });
    // The refused one answers while the read is still held.
    for (int i = 0; i < 200 && !a_done && !b_done; ++i)
        std::this_thread::sleep_for(50ms);
    if (!a_done && !b_done) {
        ADD_FAILURE() << "neither request answered while the read was held";
        history.release();
        first.join(), second.join(), third.join();
        return server.stop();
    }
    auto const& refused = a_done ? a : b;
    EXPECT_EQ(refused.status, 503);
    EXPECT_NE(refused.head.find("Retry-After: 1\r\n"), std::string::npos) << refused.head;
    EXPECT_EQ(json::parse(refused.body)["error"]["code"], 503) << refused.body;

    history.release();
    first.join();
    second.join();
    third.join();
    EXPECT_EQ(running.status, 200);
    EXPECT_EQ(a.status + b.status, 200 + 503);
    server.stop();
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
