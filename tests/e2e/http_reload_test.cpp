// A reload of the real daemon applies its http: section (token, listen address, rotated TLS
// files) or says loudly that it cannot; an include list added by a reload is watched.
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.hpp"
#include "e2e/http_support.hpp"

namespace portwatch::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

/// The daemon with one loopback target; its http: section is what the test writes.
class HttpReloadTest : public ::testing::Test {
  protected:
    void start(std::string const& http, std::string const& extra = "") {
        write_config(http, extra);
        daemon_ =
            std::make_unique<Spawned>(std::vector<std::string>{portwatch_binary(), "run", "-c",
                                                               (dir_ / "portwatch.yaml").string()},
                                      dir_ / "daemon.log");
    }

    void write_config(std::string const& http, std::string const& extra = "") {
        dir_.write("portwatch.yaml", "store: sqlite:" + (dir_ / "history.db").string() +
                                         "\n"
                                         "defaults: {interval: 1s, timeout: 1s}\n"
                                         "targets:\n"
                                         "  - {name: web, host: 127.0.0.1, port: " +
                                         std::to_string(open_.port()) + "}\n" + extra + "http:\n" +
                                         http);
    }

    std::string log() const { return slurp(dir_ / "daemon.log"); }

    void TearDown() override {
        if (daemon_) {
            EXPECT_EQ(daemon_->stop(), 0) << log();
        }
    }

    static std::string url(std::uint16_t port, std::string const& path) {
        return "http://127.0.0.1:" + std::to_string(port) + path;
    }

    TempDir dir_;
    OpenPort open_;
    std::uint16_t port_ = free_port();
    std::unique_ptr<Spawned> daemon_;
};

TEST_F(HttpReloadTest, NewBearerTokenApplies) {
    auto const listen = "  listen: 127.0.0.1:" + std::to_string(port_) + "\n";
    start(listen + "  auth: {bearer_token: one}\n");
    ASSERT_TRUE(eventually(20s, [&] {
        return fetch(url(port_, "/api/v1/status"), {"Authorization: Bearer one"}).status == 200;
    })) << log();
    write_config(listen + "  auth: {bearer_token: two}\n");
    EXPECT_TRUE(eventually(20s, [&] {
        return fetch(url(port_, "/api/v1/status"), {"Authorization: Bearer two"}).status == 200;
    })) << log();
    EXPECT_EQ(fetch(url(port_, "/api/v1/status"), {"Authorization: Bearer one"}).status, 401);
    EXPECT_NE(log().find("http: reloaded"), std::string::npos) << log();
}

TEST_F(HttpReloadTest, NewListenAddressIsBound) {
    start("  listen: 127.0.0.1:" + std::to_string(port_) + "\n");
    ASSERT_TRUE(eventually(20s, [&] { return fetch(url(port_, "/healthz")).status == 200; }))
        << log();
    auto const next = free_port();
    write_config("  listen: 127.0.0.1:" + std::to_string(next) + "\n");
    EXPECT_TRUE(eventually(20s, [&] { return fetch(url(next, "/healthz")).status == 200; }))
        << log();
    EXPECT_EQ(fetch(url(port_, "/healthz")).status, 0);
}

TEST_F(HttpReloadTest, ReloadThatCannotBindSaysSoAndKeepsServing) {
    start("  listen: 127.0.0.1:" + std::to_string(port_) + "\n");
    ASSERT_TRUE(eventually(20s, [&] { return fetch(url(port_, "/healthz")).status == 200; }))
        << log();
    OpenPort taken;  // a listener of the test holds the new address
    write_config("  listen: 127.0.0.1:" + std::to_string(taken.port()) + "\n");
    EXPECT_TRUE(eventually(20s, [&] {
        return log().find("http: the reloaded http: section cannot be applied") !=
               std::string::npos;
    })) << log();
    EXPECT_EQ(fetch(url(port_, "/healthz")).status, 200);
}

/// A self-signed certificate for 127.0.0.1 in `dir` (cert.pem, key.pem).
void make_cert(TempDir const& dir, std::string const& cn) {
    auto const gen =
        run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                     (dir / "key.pem").string(), "-out", (dir / "cert.pem").string(), "-days", "1",
                     "-subj", "/CN=" + cn, "-addext", "subjectAltName=IP:127.0.0.1"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
}

TEST_F(HttpReloadTest, RotatedTlsCertificateIsReadOnSighup) {
    make_cert(dir_, "first");
    std::string const first = dir_.read("cert.pem");
    dir_.write("first.pem", first);
    start("  listen: 127.0.0.1:" + std::to_string(port_) + "\n  tls: {cert: " +
          (dir_ / "cert.pem").string() + ", key: " + (dir_ / "key.pem").string() + "}\n");
    auto const https = [&](std::string const& ca) {
        auto const r = run_process(
            {"curl", "-sS", "--max-time", "10", "--cacert", (dir_ / ca).string(), "-o", "/dev/null",
             "-w", "%{http_code}", "https://127.0.0.1:" + std::to_string(port_) + "/healthz"},
            {.timeout = 15s});
        return r.out;
    };
    ASSERT_TRUE(eventually(20s, [&] { return https("first.pem") == "200"; })) << log();
    make_cert(dir_, "second");
    dir_.write("second.pem", dir_.read("cert.pem"));
    daemon_->signal(SIGHUP);
    EXPECT_TRUE(eventually(20s, [&] { return https("second.pem") == "200"; })) << log();
    EXPECT_NE(https("first.pem"), "200");
}

TEST_F(HttpReloadTest, IncludeListAddedByAReloadIsWatched) {
    auto const listen = "  listen: 127.0.0.1:" + std::to_string(port_) + "\n";
    start(listen);
    ASSERT_TRUE(eventually(20s, [&] { return fetch(url(port_, "/healthz")).status == 200; }))
        << log();
    dir_.write("more.lst", "# filled in later\n");
    write_config(listen, "include: [" + (dir_ / "more.lst").string() + "]\n");
    ASSERT_TRUE(eventually(20s, [&] {
        return log().find("reloading") != std::string::npos &&
               log().find("1 target(s): 0 added") != std::string::npos;
    })) << log();
    // Only the list changes now: the daemon must notice it by itself.
    OpenPort second;
    dir_.write("more.lst", "127.0.0.1 " + std::to_string(second.port()) + " second\n");
    EXPECT_TRUE(eventually(20s, [&] {
        auto const r = fetch(url(port_, "/api/v1/targets"));
        return r.status == 200 && json::parse(r.body)["total"] == 2;
    })) << log();
}

}  // namespace
}  // namespace portwatch::test
