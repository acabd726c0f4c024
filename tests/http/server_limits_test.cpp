#include "http/server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <vector>

#include "http/server_fixture.hpp"

namespace portwatch::http {
namespace {

using nlohmann::json;

/// `n` clients that connect and send nothing (idle) or half a request head (slowloris).
std::vector<std::unique_ptr<Client>> open_clients(std::uint16_t port, std::size_t n, bool slow) {
    std::vector<std::unique_ptr<Client>> out;
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(std::make_unique<Client>(port));
        EXPECT_TRUE(out.back()->connected());
        if (slow) {
            out.back()->send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Slow: a");
        }
    }
    return out;
}

TEST_F(ServerTest, IdleAndSlowClientsDoNotLockOutHealthOrMetrics) {
    // The defaults: 512 connections, 128 per address, 30 s idle, 10 s for a request head.
    start();
    auto const idle = open_clients(server_->port(), 256, false);
    auto const slow = open_clients(server_->port(), 300, true);
    auto const health = get("/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(get("/metrics").status, 200);
}

TEST_F(ServerTest, AtTheLimitTheLongestIdleConnectionGoes) {
    start({.max_connections = 2});
    Client a(server_->port());
    Client b(server_->port());
    for (auto* c : {&a, &b}) {
        c->send(request("GET", "/healthz", "", true));
        ASSERT_EQ(c->read().status, 200);
    }
    Client third(server_->port());
    third.send(request("GET", "/healthz"));
    EXPECT_EQ(third.read().status, 200);
    // a waited longest: its slot went to the new client; b is still served.
    EXPECT_TRUE(a.closed_within(5s));
    b.send(request("GET", "/healthz", "", true));
    EXPECT_EQ(b.read().status, 200);
}

TEST_F(ServerTest, PerAddressLimitClosesThatAddressesIdleConnection) {
    start({.max_connections_per_address = 1});
    Client a(server_->port());
    a.send(request("GET", "/healthz", "", true));
    ASSERT_EQ(a.read().status, 200);
    Client b(server_->port());
    b.send(request("GET", "/healthz"));
    EXPECT_EQ(b.read().status, 200);
    EXPECT_TRUE(a.closed_within(5s));
}

TEST_F(ServerTest, SlowRequestHeadIsCutOffBeforeTheIdleTimeout) {
    start({.idle_timeout = 60s, .header_timeout = 300ms});
    Client slow(server_->port());
    slow.send("GET /metrics HTTP/1.1\r\nHost: local");
    EXPECT_TRUE(slow.closed_within(5s));
    // Between keep-alive requests the same: the head of the second one has its deadline.
    Client kept(server_->port());
    kept.send(request("GET", "/healthz", "", true));
    ASSERT_EQ(kept.read().status, 200);
    kept.send("GET /metrics HTTP/1.1\r\nHost: local");
    EXPECT_TRUE(kept.closed_within(5s));
}

/// {"error":{"code":N,"message":"..."}} with a Date header.
void expect_json_error(Response const& r, int status) {
    EXPECT_EQ(r.status, status) << r.raw;
    EXPECT_EQ(r.headers.count("date"), 1u) << r.raw;
    EXPECT_EQ(r.headers.at("content-type"), "application/json; charset=utf-8") << r.raw;
    auto const body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body["error"]["code"], status) << r.body;
    EXPECT_TRUE(body["error"]["message"].is_string()) << r.body;
}

TEST_F(ServerTest, ErrorsAreJsonEverywhereAndEveryAnswerHasADate) {
    start({.max_header_bytes = 8192, .max_body_bytes = 1024});
    auto const ok = get("/healthz");
    ASSERT_EQ(ok.status, 200);
    // IMF-fixdate: "Sat, 05 Dec 2026 04:00:00 GMT".
    ASSERT_EQ(ok.headers.count("date"), 1u);
    EXPECT_EQ(ok.headers.at("date").size(), 29u);
    EXPECT_TRUE(ok.headers.at("date").ends_with(" GMT"));
    expect_json_error(get("/nope"), 404);
    expect_json_error(get("/api/v1/nope"), 404);
    expect_json_error(get("/metrics", "", "DELETE"), 405);
    expect_json_error(get("/api/v1/targets?state=sideways"), 400);
    expect_json_error(
        get("/metrics", "Content-Length: 5000\r\n\r\n" + std::string(5000, 'x'), "POST"), 413);
    expect_json_error(get("/metrics", "X-Big: " + std::string(9000, 'a') + "\r\n"), 431);
    Client bad(server_->port());
    bad.send("NOT HTTP AT ALL\r\n\r\n");
    expect_json_error(bad.read(), 400);
}

TEST_F(ServerTest, OverLongUrlIs414) {
    start({.max_header_bytes = 16384, .max_target_bytes = 4096});
    // Longer than the target limit, within the header limit.
    expect_json_error(get("/api/v1/targets?group=" + std::string(5000, 'g')), 414);
    // Longer than the whole header limit.
    expect_json_error(get("/api/v1/targets?group=" + std::string(20000, 'g')), 414);
    EXPECT_EQ(get("/api/v1/targets?group=" + std::string(1000, 'g')).status, 200);
}

TEST_F(ServerTest, AbsoluteFormRequestTargets) {
    start();
    auto const port = std::to_string(server_->port());
    auto r = get("http://127.0.0.1:" + port + "/api/v1/status");
    EXPECT_EQ(r.status, 200) << r.raw;
    EXPECT_TRUE(json::parse(r.body).contains("groups")) << r.body;
    EXPECT_EQ(get("HTTP://localhost:" + port + "/healthz").body, "ok\n");
    EXPECT_EQ(get("http://localhost:" + port + "/api/v1/targets?state=down").status, 200);
    // The bare authority is the root.
    EXPECT_EQ(get("http://localhost:" + port).headers["content-type"], "text/html; charset=utf-8");
}

}  // namespace
}  // namespace portwatch::http
