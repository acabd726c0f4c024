// `kind: http` through the engine, against Python HTTP(S) servers on loopback that the test
// starts, with certificates it makes with the openssl CLI; and `portwatch check --json`.
#include "probe/http.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include "probe/engine.hpp"
#include "probe/http_options.hpp"
#include "probe/http_support.hpp"
#include "probe/registry.hpp"
#include "support/listener.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using http_test::list;
using http_test::map;
using http_test::not_after;
using http_test::opt;
using http_test::PyServer;
using http_test::scalar;

struct Spec {
    std::string url;
    std::vector<config::Option> http;
    std::vector<config::Option> tls;
    std::chrono::milliseconds timeout = 5s;
};

ProbeRequest request(Spec const& s) {
    config::OptionBag bag{.file = "t.yaml", .path = "targets[0]"};
    bag.entries.push_back(opt("url", scalar(s.url)));
    if (!s.http.empty()) {
        bag.entries.push_back(opt("http", map(s.http)));
    }
    if (!s.tls.empty()) {
        bag.entries.push_back(opt("tls", map(s.tls)));
    }
    config::Diagnostics out;
    auto options = http_kind.parse_options(bag, out);
    EXPECT_TRUE(out.empty()) << out.front().to_string();
    config::Target t;
    http_kind.complete_target(bag, t);
    return {.kind = "http",
            .host = t.connect_host(),
            .port = t.port,
            .timeout = s.timeout,
            .options = std::move(options)};
}

ProbeResult probe(Spec const& s) {
    return probe_all({request(s)}, {}).at(0);
}

class HttpProbe : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new test::TempDir();
        certs_ok_ = http_test::make_certificates(dir_->path());
        http_ = new PyServer(*dir_, "http");
        other_ = new PyServer(*dir_, "other");
        if (certs_ok_) {
            https_ =
                new PyServer(*dir_, "https", dir_->path() / "leaf.pem", dir_->path() / "leaf.key");
            wrong_name_ =
                new PyServer(*dir_, "wrong", dir_->path() / "other.pem", dir_->path() / "leaf.key");
            self_signed_ =
                new PyServer(*dir_, "self", dir_->path() / "self.pem", dir_->path() / "self.key");
        }
    }
    static void TearDownTestSuite() {
        for (auto* s : {http_, other_, https_, wrong_name_, self_signed_}) {
            delete s;
        }
        delete dir_;
    }
    void SetUp() override {
        ASSERT_TRUE(certs_ok_);
        for (auto const* s : {http_, other_, https_, wrong_name_, self_signed_}) {
            ASSERT_NE(s->port(), 0) << "a test server did not start";
        }
    }
    static std::string url(std::string const& path) {
        return fmt::format("http://127.0.0.1:{}{}", http_->port(), path);
    }
    static std::string tls_url(PyServer const* s, std::string const& path) {
        return fmt::format("https://127.0.0.1:{}{}", s->port(), path);
    }
    static std::vector<config::Option> test_ca() {
        return {opt("ca_file", scalar((dir_->path() / "ca.pem").string()))};
    }

    static inline test::TempDir* dir_ = nullptr;
    static inline bool certs_ok_ = false;
    static inline PyServer* http_ = nullptr;
    static inline PyServer* other_ = nullptr;
    static inline PyServer* https_ = nullptr;
    static inline PyServer* wrong_name_ = nullptr;
    static inline PyServer* self_signed_ = nullptr;
};

TEST_F(HttpProbe, OkWithStatusSetAndBody) {
    auto const r = probe({.url = url("/ok"),
                          .http = {opt("status", list({scalar("200"), scalar("204")})),
                                   opt("body", scalar(R"("status":"ok")"))}});
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.reason(), "");
    EXPECT_EQ(r.facts.http_status, 200);
    EXPECT_EQ(r.detail, "GET " + url("/ok") + ": status 200");
    EXPECT_EQ(r.address, "127.0.0.1");
    EXPECT_GT(r.facts.connect_time.count(), 0);
    EXPECT_GE(r.facts.first_byte_time, r.facts.connect_time);
    EXPECT_EQ(r.facts.tls_time.count(), 0);
    EXPECT_EQ(r.facts.tls_version, "");
    EXPECT_EQ(r.facts.cert_not_after, 0);
}

TEST_F(HttpProbe, NoContentIsInTheDefaultSetAndInAList) {
    EXPECT_TRUE(probe({.url = url("/empty")}).up);
    auto const r = probe({.url = url("/empty"), .http = {opt("status", list({scalar("204")}))}});
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.facts.http_status, 204);
    auto const only_200 = probe({.url = url("/empty"), .http = {opt("status", scalar("200"))}});
    EXPECT_FALSE(only_200.up);
    EXPECT_EQ(only_200.reason(), "http-status");
    EXPECT_EQ(only_200.detail, "GET " + url("/empty") + ": status 204 (expected 200)");
}

TEST_F(HttpProbe, ServerErrorIsHttpStatusWithTheCode) {
    auto const r = probe({.url = url("/fail")});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "http-status");
    EXPECT_EQ(r.error, ProbeCondition::target_failed);
    EXPECT_EQ(r.facts.http_status, 500);
    EXPECT_EQ(r.detail, "GET " + url("/fail") + ": status 500 (expected 2xx)");
    auto const accepted = probe({.url = url("/fail"), .http = {opt("status", scalar("5xx"))}});
    EXPECT_TRUE(accepted.up) << accepted.detail;
}

TEST_F(HttpProbe, BodyMismatchIsHttpBody) {
    auto const r = probe({.url = url("/wrong"), .http = {opt("body", scalar(R"("status":"ok")"))}});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "http-body");
    EXPECT_EQ(r.facts.http_status, 200);
    EXPECT_EQ(r.detail, "GET " + url("/wrong") +
                            R"(: status 200, body (21 bytes read) does not match '"status":"ok"')");
}

// 1 MiB of body: the regex sees the first 64 KiB only, and the probe stops reading there.
TEST_F(HttpProbe, BodyReadIsBounded) {
    auto const start = probe({.url = url("/big"), .http = {opt("body", scalar("^x{1000}"))}});
    EXPECT_TRUE(start.up) << start.detail;
    auto const end = probe({.url = url("/big"), .http = {opt("body", scalar("MARKER"))}});
    EXPECT_FALSE(end.up);
    EXPECT_EQ(end.reason(), "http-body");
    EXPECT_NE(end.detail.find("(65536 bytes read)"), std::string::npos) << end.detail;
}

TEST_F(HttpProbe, MethodHeadersAndRequestBody) {
    auto const r = probe({.url = url("/echo"),
                          .http = {opt("method", scalar("POST")),
                                   opt("headers", map({opt("X-Probe", scalar("pw"))})),
                                   opt("request_body", scalar("ping")),
                                   opt("body", scalar("^method=POST probe=pw body=ping$"))}});
    EXPECT_TRUE(r.up) << r.detail;
}

TEST_F(HttpProbe, RedirectsAreNotFollowedByDefault) {
    auto const r = probe({.url = url("/r/2")});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "http-status");
    EXPECT_EQ(r.facts.http_status, 302);
}

TEST_F(HttpProbe, RedirectsWithinTheBoundAreFollowed) {
    auto const r =
        probe({.url = url("/r/3"),
               .http = {opt("follow_redirects", scalar("3")), opt("body", scalar("ok"))}});
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.facts.http_status, 200);
    EXPECT_EQ(r.detail, "GET " + url("/ok") + ": status 200 after 3 redirect(s)");
}

TEST_F(HttpProbe, TooManyRedirectsIsHttpRedirects) {
    auto const r = probe({.url = url("/r/4"), .http = {opt("follow_redirects", scalar("3"))}});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "http-redirects");
    EXPECT_EQ(r.facts.http_status, 302);
    EXPECT_EQ(r.detail, "more than 3 redirects: GET " + url("/r/1") + " -> 302 " + url("/ok"));
}

TEST_F(HttpProbe, RedirectToAnotherServerAndSeeOther) {
    auto const r = probe({.url = url(fmt::format("/to?{}", other_->port())),
                          .http = {opt("follow_redirects", scalar("1"))}});
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.detail, fmt::format("GET http://127.0.0.1:{}/ok: status 200 after 1 redirect(s)",
                                    other_->port()));
    auto const see =
        probe({.url = url("/see"),
               .http = {opt("method", scalar("POST")), opt("request_body", scalar("data")),
                        opt("follow_redirects", scalar("1")),
                        opt("body", scalar("^method=GET probe=None body=$"))}});
    EXPECT_TRUE(see.up) << see.detail;
}

TEST_F(HttpProbe, RedirectToAClosedPortIsRefused) {
    test::ClosedPort closed;
    ASSERT_TRUE(closed.ok());
    auto const r = probe({.url = url(fmt::format("/to?{}", closed.port())),
                          .http = {opt("follow_redirects", scalar("1"))}});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "refused");
    EXPECT_EQ(r.facts.http_status, 302);
}

TEST_F(HttpProbe, SlowBodyIsHttpTimeoutAtTheDeadline) {
    auto const r =
        probe({.url = url("/slow"), .http = {opt("body", scalar("y"))}, .timeout = 500ms});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "http-timeout");
    EXPECT_EQ(r.facts.http_status, 200);
    EXPECT_EQ(r.detail, "GET " + url("/slow") + ": no complete body within 500 ms");
}

// The engine stops while the body is on its way: the probe is cancelled, the session ends
// on the closed socket and its late result is ignored.
TEST_F(HttpProbe, EngineStopCancelsAProbeInFlight) {
    boost::asio::io_context io;
    Engine engine(io, {});
    std::vector<ProbeResult> got;
    engine.submit(request({.url = url("/slow"), .http = {opt("body", scalar("y"))}}),
                  [&](ProbeResult r) { got.push_back(std::move(r)); });
    boost::asio::steady_timer stop(io, 200ms);
    stop.async_wait([&](boost::system::error_code) { engine.stop(); });
    io.run_for(10s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].is_cancelled()) << got[0].detail;
    EXPECT_TRUE(io.stopped());
}

TEST_F(HttpProbe, SilentServerIsHttpTimeout) {
    test::LoopbackListener silent;
    ASSERT_TRUE(silent.ok()) << silent.error();
    auto const u = fmt::format("http://127.0.0.1:{}/", silent.port());
    auto const r = probe({.url = u, .timeout = 300ms});
    EXPECT_EQ(r.reason(), "http-timeout");
    EXPECT_EQ(r.detail, "GET " + u + ": no response within 300 ms");
    EXPECT_EQ(r.facts.http_status, 0);
}

TEST_F(HttpProbe, MalformedResponseIsHttpProtocol) {
    auto const r = probe({.url = url("/garbage")});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "http-protocol");
    EXPECT_EQ(r.facts.http_status, 0);
    auto const banner_only = [] {
        test::LoopbackListener ssh({.banner = "SSH-2.0-OpenSSH\r\n"});
        return probe({.url = fmt::format("http://127.0.0.1:{}/", ssh.port())});
    }();
    EXPECT_EQ(banner_only.reason(), "http-protocol");
}

TEST_F(HttpProbe, HttpsWithTheTestCa) {
    auto const r = probe({.url = tls_url(https_, "/ok"), .tls = test_ca()});
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.facts.http_status, 200);
    EXPECT_EQ(r.facts.cert_not_after, not_after(dir_->path() / "leaf.pem"));
    EXPECT_FALSE(r.facts.tls_version.empty());
    EXPECT_EQ(r.facts.tls_version.rfind("TLSv1.", 0), 0u) << r.facts.tls_version;
    EXPECT_GE(r.facts.tls_time, r.facts.connect_time);
    EXPECT_GE(r.facts.first_byte_time, r.facts.tls_time);
    auto const fail = probe({.url = tls_url(https_, "/fail"), .tls = test_ca()});
    EXPECT_EQ(fail.reason(), "http-status");
    EXPECT_EQ(fail.facts.http_status, 500);
}

TEST_F(HttpProbe, SystemCasDoNotTrustTheTestCa) {
    auto const r = probe({.url = tls_url(https_, "/ok")});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "cert-untrusted");
    EXPECT_EQ(r.facts.cert_not_after, not_after(dir_->path() / "leaf.pem"));
    EXPECT_EQ(r.facts.http_status, 0);
}

TEST_F(HttpProbe, SelfSignedIsUntrustedUnlessVerifyIsOff) {
    auto const r = probe({.url = tls_url(self_signed_, "/ok"), .tls = test_ca()});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "cert-untrusted");
    EXPECT_EQ(r.facts.cert_not_after, not_after(dir_->path() / "self.pem"));
    auto const off =
        probe({.url = tls_url(self_signed_, "/ok"), .tls = {opt("verify", scalar("false"))}});
    EXPECT_TRUE(off.up) << off.detail;
    EXPECT_EQ(off.facts.cert_not_after, not_after(dir_->path() / "self.pem"));
}

TEST_F(HttpProbe, WrongNameIsCertHostname) {
    auto const r = probe({.url = tls_url(wrong_name_, "/ok"), .tls = test_ca()});
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "cert-hostname");
    auto const named = probe({.url = tls_url(wrong_name_, "/ok"),
                              .tls = {test_ca()[0], opt("server_name", scalar("wrong.example"))}});
    EXPECT_TRUE(named.up) << named.detail;
}

TEST_F(HttpProbe, SilentTlsServerIsHttpTimeout) {
    test::LoopbackListener silent;
    ASSERT_TRUE(silent.ok()) << silent.error();
    auto const u = fmt::format("https://127.0.0.1:{}/", silent.port());
    auto const r = probe({.url = u, .timeout = 300ms});
    EXPECT_EQ(r.reason(), "http-timeout");
    EXPECT_EQ(r.detail, "GET " + u + ": no TLS handshake within 300 ms");
    EXPECT_EQ(r.facts.cert_not_after, 0);
}

TEST_F(HttpProbe, Ipv6Literal) {
    if (!test::ipv6_loopback_available()) {
        GTEST_SKIP() << "no IPv6 loopback";
    }
    PyServer v6(*dir_, "v6", {}, {}, "::1");
    ASSERT_NE(v6.port(), 0);
    auto const u = fmt::format("http://[::1]:{}/r/1", v6.port());
    auto const r = probe({.url = u, .http = {opt("follow_redirects", scalar("1"))}});
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.address, "::1");
    EXPECT_EQ(r.detail,
              fmt::format("GET http://[::1]:{}/ok: status 200 after 1 redirect(s)", v6.port()));
}

TEST_F(HttpProbe, PlainHttpToATlsPortAndTlsToAPlainPort) {
    auto const plain_to_tls =
        probe({.url = fmt::format("http://127.0.0.1:{}/ok", https_->port()), .timeout = 2s});
    EXPECT_FALSE(plain_to_tls.up);
    EXPECT_EQ(plain_to_tls.reason(), "http-protocol") << plain_to_tls.detail;
    auto const tls_to_plain = probe({.url = tls_url(http_, "/ok"), .tls = test_ca()});
    EXPECT_FALSE(tls_to_plain.up);
    EXPECT_EQ(tls_to_plain.reason(), "tls-handshake");
}

// The built binary: `check -c cfg.yaml --json` reports the status code of an http target.
TEST_F(HttpProbe, CheckJsonReportsHttpStatus) {
    test::TempDir work;
    auto const cfg = work.write(
        "portwatch.yaml",
        fmt::format(
            "targets:\n"
            "  - {{name: api, kind: http, url: '{}',\n"
            "     http: {{status: [200], body: '\"status\":\"ok\"', headers: {{X-Probe: pw}}}}}}\n"
            "  - {{name: broken, kind: http, url: '{}'}}\n",
            url("/ok"), url("/fail")));
    auto const r = test::run_portwatch({"check", "-c", cfg.string(), "--json"},
                                       {.cwd = work.path(), .timeout = 60s});
    auto const report = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << r.out << r.err;
    ASSERT_EQ(report["targets"].size(), 2u) << r.out;
    auto const& ok = report["targets"][0];
    EXPECT_EQ(ok["key"], url("/ok"));
    EXPECT_EQ(ok["status"], "UP");
    EXPECT_EQ(ok["http_status"], 200);
    EXPECT_EQ(ok["port"], http_->port());
    auto const& broken = report["targets"][1];
    EXPECT_EQ(broken["status"], "DOWN");
    EXPECT_EQ(broken["reason"], "http-status");
    EXPECT_EQ(broken["http_status"], 500);
}

}  // namespace
}  // namespace portwatch::probe
