#include "http/server.hpp"

#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>

#include "http/fixtures.hpp"
#include "http/server_fixture.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::http {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST_F(ServerTest, HealthAndReadiness) {
    start();
    auto r = get("/healthz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ok\n");
    EXPECT_EQ(get("/readyz").status, 200);
    auto s = test::make_snapshot();
    s.process.store_writable = false;
    publish(s);
    r = get("/readyz");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body, "store not writable\n");
    std::atomic_store(&snapshot_, http::SnapshotPtr());
    EXPECT_EQ(get("/readyz").status, 503);
    EXPECT_EQ(get("/healthz").status, 200);
    EXPECT_EQ(get("/metrics").status, 503);
}

TEST_F(ServerTest, MetricsInBothFormatsAndFollowsTheSnapshot) {
    start();
    auto r = get("/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(r.body.find("portwatch_target_up{target=\"db\""), std::string::npos);
    r = get("/metrics", "Accept: application/openmetrics-text;version=1.0.0,*/*;q=0.1\r\n");
    EXPECT_EQ(r.headers["content-type"],
              "application/openmetrics-text; version=1.0.0; charset=utf-8");
    EXPECT_TRUE(r.body.ends_with("# EOF\n"));
    auto s = test::make_snapshot();
    s.targets[1].status = eval::Status::up;
    publish(s);
    r = get("/metrics");
    EXPECT_NE(r.body.find("portwatch_targets{state=\"down\"} 0\n"), std::string::npos);
    r = get("/metrics", "", "HEAD");
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.body.empty());
    EXPECT_GT(std::stoul(r.headers["content-length"]), 1000u);
}

TEST_F(ServerTest, JsonApi) {
    start();
    auto r = get("/api/v1/targets?state=down");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "application/json; charset=utf-8");
    auto j = json::parse(r.body);
    ASSERT_EQ(j["targets"].size(), 1u);
    EXPECT_EQ(j["targets"][0]["id"], "db");
    EXPECT_DOUBLE_EQ(j["targets"][0]["uptime_percent"]["7d"].get<double>(), 90.0);

    j = json::parse(get("/api/v1/targets/web").body);
    EXPECT_EQ(j["state"], "up");
    EXPECT_EQ(j["transitions"].size(), 1u);

    j = json::parse(get("/api/v1/events?limit=2").body);
    EXPECT_EQ(j["events"].size(), 2u);
    j = json::parse(get("/api/v1/events?target=db").body);
    ASSERT_EQ(j["events"].size(), 1u);
    EXPECT_EQ(j["events"][0]["to"], "down");

    j = json::parse(get("/api/v1/status").body);
    EXPECT_EQ(j["groups"].size(), 2u);
    // group= and limit= are honoured, the DOWN target first (issue 13 item 2); the limit
    // pages the UP ones only.
    j = json::parse(get("/api/v1/status?group=prod&limit=1").body);
    EXPECT_EQ(j["total"], 2);
    EXPECT_EQ(j["shown"], 2);
    ASSERT_EQ(j["groups"].size(), 1u);
    EXPECT_EQ(j["groups"][0]["targets"][0]["id"], "db");
    EXPECT_EQ(json::parse(get("/api/v1/status?group=staging").body)["total"], 1);
    EXPECT_EQ(get("/api/v1/status?limit=0").status, 400);

    EXPECT_EQ(get("/api/v1/targets/nope").status, 404);
    EXPECT_EQ(get("/api/v1/targets?state=maybe").status, 400);
    EXPECT_EQ(get("/api/v1/events?limit=0").status, 400);
    EXPECT_EQ(get("/api/v2/targets").status, 404);
    EXPECT_EQ(get("/nothing").status, 404);
}

TEST_F(ServerTest, HistoryAnswersAreCachedBriefly) {
    start();
    ASSERT_EQ(get("/api/v1/targets").status, 200);
    auto const calls = history_.calls;
    EXPECT_EQ(calls, 3u * 4u);  // 3 targets, 4 windows
    ASSERT_EQ(get("/api/v1/targets").status, 200);
    EXPECT_EQ(history_.calls, calls);
    // Transitions are never cached; a failing store shows.
    history_.fail = true;
    EXPECT_EQ(get("/api/v1/events").status, 503);
}

TEST_F(ServerTest, FailingHistoryLeavesUptimeEmpty) {
    start({.history_cache = 0s});
    history_.fail = true;
    auto const j = json::parse(get("/api/v1/targets/web").body);
    EXPECT_EQ(j["state"], "up");
    EXPECT_EQ(j["uptime_percent"], nullptr);
    EXPECT_EQ(j["transitions"], nullptr);
}

TEST_F(ServerTest, StatusPageAndAssets) {
    start();
    auto r = get("/");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
    EXPECT_NE(r.headers["content-security-policy"].find("default-src 'none'"), std::string::npos);
    EXPECT_NE(r.body.find("\"id\":\"db\""), std::string::npos);
    r = get("/assets/status.js");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "text/javascript; charset=utf-8");
    EXPECT_EQ(get("/assets/status.css").status, 200);
    EXPECT_EQ(get("/assets/other.js").status, 404);
}

TEST_F(ServerTest, Badges) {
    start();
    auto r = get("/badge/db/status.svg");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["content-type"], "image/svg+xml; charset=utf-8");
    EXPECT_NE(r.body.find(">down</text>"), std::string::npos);
    r = get("/badge/web/uptime/24h.svg");
    EXPECT_NE(r.body.find(">99.95%</text>"), std::string::npos);
    EXPECT_NE(get("/badge/new/uptime/30d.svg").body.find(">no data</text>"), std::string::npos);
    EXPECT_EQ(get("/badge/web/uptime/1y.svg").status, 404);
    EXPECT_EQ(get("/badge/nope/status.svg").status, 404);
}

TEST_F(ServerTest, OnlyReads) {
    start();
    auto r = get("/metrics", "Content-Length: 2\r\n\r\n{}", "POST");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers["allow"], "GET, HEAD");
    EXPECT_EQ(get("/api/v1/targets/db", "", "DELETE").status, 405);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequests) {
    start();
    Client c(server_->port());
    ASSERT_TRUE(c.connected());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(c.send(request("GET", "/healthz", "", true)));
        EXPECT_EQ(c.read().status, 200) << i;
    }
}

std::string yescrypt(char const* password) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    EXPECT_NE(::crypt_gensalt_rn("$y$", 0, nullptr, 0, salt, sizeof salt), nullptr);
    crypt_data data{};
    char const* h = ::crypt_rn(password, salt, &data, sizeof data);
    EXPECT_NE(h, nullptr);
    return h;
}

TEST_F(ServerTest, BasicAuthAndBearerToken) {
    start({.basic_auth_user = "ops",
           .basic_auth_hash = yescrypt("s3cret"),
           .bearer_token = "tok-123"});
    for (auto const* path :
         {"/metrics", "/", "/api/v1/targets", "/badge/web/status.svg", "/assets/status.js"}) {
        auto r = get(path);
        EXPECT_EQ(r.status, 401) << path;
        EXPECT_EQ(r.headers["www-authenticate"],
                  R"(Basic realm="portwatch", charset="UTF-8", Bearer realm="portwatch")");
    }
    // ops:s3cret, ops:wrong, nobody:s3cret
    EXPECT_EQ(get("/metrics", "Authorization: Basic b3BzOnMzY3JldA==\r\n").status, 200);
    EXPECT_EQ(get("/metrics", "Authorization: Basic b3BzOndyb25n\r\n").status, 401);
    EXPECT_EQ(get("/metrics", "Authorization: Basic bm9ib2R5OnMzY3JldA==\r\n").status, 401);
    EXPECT_EQ(get("/metrics", "Authorization: Basic !!!!\r\n").status, 401);
    EXPECT_EQ(get("/metrics", "Authorization: Bearer tok-123\r\n").status, 200);
    EXPECT_EQ(get("/metrics", "Authorization: Bearer tok-12\r\n").status, 401);
    // Health probes stay open; a POST without credentials is refused before anything else.
    EXPECT_EQ(get("/healthz").status, 200);
    EXPECT_EQ(get("/readyz").status, 200);
    EXPECT_EQ(get("/metrics", "Content-Length: 0\r\n", "POST").status, 401);
}

TEST_F(ServerTest, AuthSchemesAreCaseInsensitive) {
    start({.basic_auth_user = "ops",
           .basic_auth_hash =
               "sha256:30C952FAB122C3F9759F02A6D95C3758B246B4FEE239957B2D4FEE46E26170C4",
           .bearer_token = "tok-123"});
    for (auto const* h : {"Authorization: bearer tok-123\r\n", "Authorization: BEARER tok-123\r\n",
                          "Authorization: bEaReR  tok-123\r\n", "Authorization: BASIC b3BzOnB3\r\n",
                          "Authorization: basic b3BzOnB3\r\n"})
        EXPECT_EQ(get("/metrics", h).status, 200) << h;
    // The token itself stays case-sensitive.
    EXPECT_EQ(get("/metrics", "Authorization: bearer TOK-123\r\n").status, 401);
    EXPECT_EQ(get("/metrics", "Authorization: bearertok-123\r\n").status, 401);
}

TEST_F(ServerTest, ChallengeOffersOnlyConfiguredSchemes) {
    start({.bearer_token = "tok-123"});
    auto r = get("/metrics");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.headers["www-authenticate"], R"(Bearer realm="portwatch")");
    // A Basic login is not accepted either when only a token is configured.
    EXPECT_EQ(get("/metrics", "Authorization: Basic b3BzOnB3\r\n").status, 401);
}

TEST_F(ServerTest, ChallengeForBasicOnly) {
    start({.basic_auth_user = "ops",
           .basic_auth_hash =
               "sha256:30C952FAB122C3F9759F02A6D95C3758B246B4FEE239957B2D4FEE46E26170C4"});
    EXPECT_EQ(get("/metrics").headers["www-authenticate"],
              R"(Basic realm="portwatch", charset="UTF-8")");
}

TEST_F(ServerTest, Sha256PasswordHash) {
    start({.basic_auth_user = "ops",
           .basic_auth_hash =
               "sha256:30C952FAB122C3F9759F02A6D95C3758B246B4FEE239957B2D4FEE46E26170C4"});
    EXPECT_EQ(get("/metrics", "Authorization: Basic b3BzOnB3\r\n").status, 200);
    EXPECT_EQ(get("/metrics").status, 401);
}

TEST_F(ServerTest, OversizedHeaderIsRefused) {
    start({.max_header_bytes = 4096});
    std::string const big = "X-Big: " + std::string(8192, 'a') + "\r\n";
    auto const r = get("/metrics", big);
    EXPECT_EQ(r.status, 431);
    std::string const body = "Content-Length: 200000\r\n\r\n" + std::string(200000, 'x');
    EXPECT_EQ(get("/metrics", body, "POST").status, 413);
    auto const bad = [&] {
        Client c(server_->port());
        c.send("NOT HTTP AT ALL\r\n\r\n");
        return c.read();
    }();
    EXPECT_EQ(bad.status, 400);
}

TEST_F(ServerTest, IdleConnectionIsClosed) {
    start({.idle_timeout = 300ms});
    Client silent(server_->port());
    ASSERT_TRUE(silent.connected());
    EXPECT_TRUE(silent.closed_within(5s));
    // Idle between two requests of a keep-alive connection too.
    Client kept(server_->port());
    kept.send(request("GET", "/healthz", "", true));
    EXPECT_EQ(kept.read().status, 200);
    EXPECT_TRUE(kept.closed_within(5s));
}

TEST_F(ServerTest, StopClosesOpenConnections) {
    start({.idle_timeout = 60s});
    Client a(server_->port());
    a.send(request("GET", "/healthz", "", true));
    ASSERT_EQ(a.read().status, 200);
    Client b(server_->port());  // connected, never sent anything
    auto const t0 = std::chrono::steady_clock::now();
    server_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    EXPECT_TRUE(a.closed_within(2s));
    EXPECT_TRUE(b.closed_within(2s));
    server_->stop();  // idempotent
}

TEST(ServerStartTest, ReportsBadConfiguration) {
    auto const snap = [] { return http::SnapshotPtr(); };
    EXPECT_FALSE(Server({.listen = "nonsense"}, {.snapshot = snap}).start().has_value());
    EXPECT_FALSE(Server({.listen = "999.1.1.1:80"}, {.snapshot = snap}).start().has_value());
    EXPECT_FALSE(Server({.listen = "127.0.0.1:99999"}, {.snapshot = snap}).start().has_value());
    Server first({.listen = "127.0.0.1:0"}, {.snapshot = snap});
    ASSERT_TRUE(first.start().has_value());
    auto busy =
        Server({.listen = "127.0.0.1:" + std::to_string(first.port())}, {.snapshot = snap}).start();
    ASSERT_FALSE(busy.has_value());
    EXPECT_NE(busy.error().message.find("http.listen"), std::string::npos);
    auto tls = Server({.listen = "127.0.0.1:0", .tls = TlsOptions{"/nonexistent.pem", "/x.pem"}},
                      {.snapshot = snap})
                   .start();
    ASSERT_FALSE(tls.has_value());
    // Named as missing, with the file, not as OpenSSL's "asio.ssl error".
    EXPECT_EQ(tls.error().message,
              "http.tls.cert: cannot read /nonexistent.pem: No such file or directory");
    EXPECT_EQ(tls.error().code, std::errc::no_such_file_or_directory);
    EXPECT_EQ(parse_listen("[::1]:9127")->first, "::1");
    EXPECT_EQ(parse_listen("localhost:1")->first, "127.0.0.1");
}

TEST_F(ServerTest, Tls) {
    test::TempDir dir;
    auto const key = dir / "key.pem";
    auto const cert = dir / "cert.pem";
    auto const gen = test::run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                        "-keyout", key.string(), "-out", cert.string(), "-days",
                                        "1", "-subj", "/CN=localhost", "-addext",
                                        "subjectAltName=IP:127.0.0.1,DNS:localhost"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    start({.tls = TlsOptions{cert, key}, .bearer_token = "tok"});
    EXPECT_TRUE(server_->url().starts_with("https://127.0.0.1:"));
    auto const curl = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv = {"curl",        "-sS", "--max-time", "10", "--cacert",
                                         cert.string(), "-o",  "/dev/null",  "-w", "%{http_code}"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return test::run_process(argv);
    };
    auto r = curl({"-H", "Authorization: Bearer tok", server_->url() + "/metrics"});
    EXPECT_EQ(r.out, "200") << r.err;
    r = curl({server_->url() + "/metrics"});
    EXPECT_EQ(r.out, "401") << r.err;
    r = curl({server_->url() + "/healthz"});
    EXPECT_EQ(r.out, "200") << r.err;
    // Plain HTTP to the TLS port gets no HTTP answer.
    Client plain(server_->port());
    plain.send(request("GET", "/healthz"));
    EXPECT_EQ(plain.read(3s).status, 0);
}

}  // namespace
}  // namespace portwatch::http
