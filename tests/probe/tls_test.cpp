// kind tls and the TLS client, against Python TLS servers on loopback with certificates the
// test makes (valid, expiring in 5 days, expired, wrong host, untrusted CA).
#include "probe/tls.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "probe/engine.hpp"
#include "probe/registry.hpp"
#include "probe/tls_client.hpp"
#include "probe/tls_fixture.hpp"
#include "support/listener.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
using test::StreamServer;

class TlsKindTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new test::TempDir;
        certs_ = new test::TestCerts(test::make_test_certs(dir_->path()));
    }
    static void TearDownTestSuite() {
        delete certs_;
        delete dir_;
    }
    void SetUp() override { ASSERT_EQ(certs_->error, "") << "cannot make certificates"; }

    // The options of a target, as the YAML reader hands them over.
    static std::shared_ptr<KindOptions const> options(std::vector<config::Option> tls_entries,
                                                      config::Diagnostics& out) {
        config::OptionBag bag{.file = (dir_->path() / "portwatch.yaml").string(),
                              .path = "targets[0]"};
        config::OptionNode map{.type = config::OptionNode::Type::map,
                               .entries = std::move(tls_entries)};
        bag.entries.push_back({.key = "tls", .value = map, .line = 3, .column = 5});
        return tls_kind.parse_options(bag, out);
    }
    static config::Option opt(std::string key, std::string value) {
        return {.key = std::move(key),
                .value = {.type = config::OptionNode::Type::scalar,
                          .scalar = std::move(value),
                          .line = 4,
                          .column = 20},
                .line = 4,
                .column = 7};
    }
    static ProbeRequest request(std::uint16_t port, std::vector<config::Option> tls,
                                std::string host = "127.0.0.1") {
        config::Diagnostics out;
        auto o = options(std::move(tls), out);
        EXPECT_TRUE(out.empty()) << out.front().to_string();
        return {.kind = "tls",
                .host = std::move(host),
                .port = port,
                .timeout = 5s,
                .options = std::move(o)};
    }
    static ProbeResult probe(ProbeRequest r) { return probe_all({std::move(r)}, {}).at(0); }
    static std::vector<config::Option> trusting() { return {opt("ca_file", certs_->ca.string())}; }

    static test::TempDir* dir_;
    static test::TestCerts* certs_;
};

test::TempDir* TlsKindTest::dir_ = nullptr;
test::TestCerts* TlsKindTest::certs_ = nullptr;

TEST_F(TlsKindTest, ValidCertificateIsUpWithItsFacts) {
    StreamServer server("tls", certs_->valid);
    ASSERT_TRUE(server.ok()) << server.error();
    for (auto const* host : {"127.0.0.1", "localhost"}) {
        auto const r = probe(request(server.port(), trusting(), host));
        EXPECT_TRUE(r.up) << host << ": " << r.reason() << " " << r.detail;
        EXPECT_EQ(r.reason(), "");
        EXPECT_EQ(r.facts.cert_not_after, test::not_after_of(certs_->valid.cert));
        EXPECT_NE(r.facts.cert_not_after, 0);
        EXPECT_EQ(r.facts.cert_subject, "CN=localhost");
        EXPECT_EQ(r.facts.cert_issuer, "CN=portwatch test ca");
        EXPECT_EQ(r.facts.tls_version, "TLSv1.3");
        EXPECT_GT(r.facts.tls_time.count(), 0);
        EXPECT_LE(r.facts.tls_time, r.latency);
    }
}

TEST_F(TlsKindTest, Ipv6LiteralIsVerifiedAgainstTheIpAddressName) {
    if (!test::ipv6_loopback_available()) {
        GTEST_SKIP() << "no IPv6 loopback";
    }
    StreamServer server("tls@6", certs_->valid);
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), trusting(), "::1"));
    EXPECT_TRUE(r.up) << r.reason() << " " << r.detail;
    EXPECT_EQ(r.address, "::1");
    StreamServer wrong("tls@6", certs_->wrong_host);
    ASSERT_TRUE(wrong.ok()) << wrong.error();
    auto const w = probe(request(wrong.port(), trusting(), "::1"));
    EXPECT_EQ(w.reason(), "cert-hostname");
    EXPECT_EQ(w.detail, "tls handshake with [::1]:" + std::to_string(wrong.port()) +
                            ": certificate does not match '::1' (subject CN=wrong.example)");
}

TEST_F(TlsKindTest, ClosesWithCloseNotifyAndNoReset) {
    StreamServer server("tls", certs_->valid);
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r =
        probe_all({request(server.port(), trusting()), request(server.port(), trusting()),
                   request(server.port(), trusting())},
                  {});
    for (auto const& one : r) {
        EXPECT_TRUE(one.up) << one.detail;
    }
    auto count = [&](std::string const& what) {
        auto const log = server.log();
        std::size_t n = 0;
        for (auto at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) {
            ++n;
        }
        return n;
    };
    ASSERT_TRUE(test::poll_until([&] { return count("END ") == 3; }, 5s)) << server.log();
    EXPECT_EQ(count("END clean"), 3u) << server.log();
}

TEST_F(TlsKindTest, ExpiringSoonIsStillUpAndSaysWhen) {
    StreamServer server("tls", certs_->soon);
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), trusting()));
    EXPECT_TRUE(r.up) << r.detail;
    auto const want = test::not_after_of(certs_->soon.cert);
    EXPECT_EQ(r.facts.cert_not_after, want);
    auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    EXPECT_GT(want, now + 4 * 86400);
    EXPECT_LT(want, now + 6 * 86400);
}

TEST_F(TlsKindTest, ExpiredCertificateIsCertExpiredNotRefused) {
    StreamServer server("tls", certs_->expired);
    ASSERT_TRUE(server.ok()) << server.error();
    test::ClosedPort closed;
    ASSERT_TRUE(closed.ok());
    auto const r =
        probe_all({request(server.port(), trusting()), request(closed.port(), trusting())}, {});
    EXPECT_FALSE(r[0].up);
    EXPECT_EQ(r[0].reason(), "cert-expired");
    EXPECT_EQ(r[0].error, TlsError::cert_expired);
    EXPECT_EQ(r[0].error, ProbeCondition::target_failed);
    auto const not_after = test::not_after_of(certs_->expired.cert);
    EXPECT_EQ(r[0].facts.cert_not_after, not_after);
    EXPECT_EQ(r[0].detail.rfind("tls handshake with 127.0.0.1:" + std::to_string(server.port()) +
                                    ": certificate has expired (notAfter ",
                                0),
              0u)
        << r[0].detail;
    EXPECT_EQ(r[1].reason(), "refused");
    EXPECT_EQ(r[1].facts.cert_not_after, 0);
}

TEST_F(TlsKindTest, ExpiredCertificateWithoutVerificationIsUpAndStillRead) {
    StreamServer server("tls", certs_->expired);
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), {opt("verify", "false")}));
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.facts.cert_not_after, test::not_after_of(certs_->expired.cert));
}

TEST_F(TlsKindTest, UnknownCaIsCertUntrusted) {
    StreamServer server("tls", certs_->untrusted);
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), trusting()));
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "cert-untrusted");
    EXPECT_EQ(r.facts.cert_not_after, test::not_after_of(certs_->untrusted.cert));
    EXPECT_EQ(r.facts.cert_issuer, "CN=portwatch test other-ca");
    EXPECT_NE(r.detail.find("unable to get local issuer certificate"), std::string::npos)
        << r.detail;
    // The system's CAs do not know the test CA either.
    auto const sys = probe(request(server.port(), {}));
    EXPECT_EQ(sys.reason(), "cert-untrusted") << sys.detail;
}

TEST_F(TlsKindTest, WrongHostIsCertHostnameUnlessServerNameMatches) {
    StreamServer server("tls", certs_->wrong_host);
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), trusting(), "localhost"));
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "cert-hostname");
    EXPECT_EQ(r.detail, "tls handshake with 127.0.0.1:" + std::to_string(server.port()) +
                            ": certificate does not match 'localhost' (subject CN=wrong.example)");
    EXPECT_EQ(r.facts.cert_not_after, test::not_after_of(certs_->wrong_host.cert));
    auto tls = trusting();
    tls.push_back(opt("server_name", "wrong.example"));
    auto const named = probe(request(server.port(), tls, "localhost"));
    EXPECT_TRUE(named.up) << named.detail;
}

TEST_F(TlsKindTest, PlainServerIsTlsHandshake) {
    StreamServer server("banner");
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), trusting()));
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "tls-handshake");
    EXPECT_EQ(r.error, TlsError::handshake);
    EXPECT_EQ(r.facts.cert_not_after, 0);
    EXPECT_EQ(r.detail.rfind("tls handshake with 127.0.0.1:", 0), 0u) << r.detail;
}

TEST_F(TlsKindTest, SilentServerIsTimeoutWithinTheDeadline) {
    StreamServer server("silent");
    ASSERT_TRUE(server.ok()) << server.error();
    auto req = request(server.port(), trusting());
    req.timeout = 300ms;
    auto const r = probe(req);
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "timeout");
    EXPECT_EQ(r.detail, "tls handshake with 127.0.0.1:" + std::to_string(server.port()) +
                            ": no answer within 300 ms");
}

TEST_F(TlsKindTest, MinimumVersionAboveTheServersIsTlsHandshake) {
    StreamServer server("tls12", certs_->valid);
    ASSERT_TRUE(server.ok()) << server.error();
    auto const plain = probe(request(server.port(), trusting()));
    EXPECT_TRUE(plain.up) << plain.detail;
    EXPECT_EQ(plain.facts.tls_version, "TLSv1.2");
    auto tls = trusting();
    tls.push_back(opt("min_version", "1.3"));
    auto const r = probe(request(server.port(), tls));
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "tls-handshake");
    EXPECT_NE(r.detail.find("version"), std::string::npos) << r.detail;
}

TEST_F(TlsKindTest, ClientCertificateIsSentWhenAsked) {
    StreamServer server("tls12-client-auth", certs_->valid, certs_->ca);
    ASSERT_TRUE(server.ok()) << server.error();
    auto const without = probe(request(server.port(), trusting()));
    EXPECT_FALSE(without.up);
    EXPECT_EQ(without.reason(), "tls-handshake") << without.detail;
    auto tls = trusting();
    tls.push_back(opt("cert_file", certs_->client.cert.string()));
    tls.push_back(opt("key_file", certs_->client.key.string()));
    auto const with = probe(request(server.port(), tls));
    EXPECT_TRUE(with.up) << with.reason() << " " << with.detail;
    EXPECT_EQ(with.facts.tls_version, "TLSv1.2");
    // A key that is not the certificate's is a config error.
    config::Diagnostics out;
    EXPECT_EQ(options({opt("cert_file", certs_->client.cert.string()),
                       opt("key_file", certs_->valid.key.string())},
                      out),
              nullptr);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(out[0].to_string().find("targets[0].tls.key_file: "), std::string::npos)
        << out[0].to_string();
}

TEST_F(TlsKindTest, OptionsAreCheckedWithTheirPlace) {
    config::Diagnostics out;
    EXPECT_EQ(
        options({opt("verify", "maybe"), opt("min_version", "2.0"), opt("expiry_warn", "soon"),
                 opt("colour", "red"), opt("ca_file", "/nonexistent/ca.pem")},
                out),
        nullptr);
    ASSERT_EQ(out.size(), 4u);
    auto const file = (dir_->path() / "portwatch.yaml").string();
    EXPECT_EQ(out[0].to_string(),
              file + ":4:20: targets[0].tls.verify: expected true or false, got 'maybe'");
    EXPECT_EQ(out[1].to_string(),
              file + ":4:20: targets[0].tls.min_version: expected 1.0, 1.1, 1.2 or 1.3, got '2.0'");
    EXPECT_EQ(out[2].to_string(), file +
                                      ":4:20: targets[0].tls.expiry_warn: expected a duration "
                                      "like 14d, 12h, 30m; got 'soon'");
    EXPECT_EQ(out[3].to_string(), file + ":4:20: targets[0].tls.colour: unknown key");
    out.clear();
    EXPECT_EQ(options({opt("ca_file", "/nonexistent/ca.pem")}, out), nullptr);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(
        out[0].to_string().rfind(file + ":4:20: targets[0].tls.ca_file: /nonexistent/ca.pem: ", 0),
        0u)
        << out[0].to_string();
    out.clear();
    EXPECT_EQ(options({opt("cert_file", certs_->client.cert.string())}, out), nullptr);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].to_string(),
              file + ":4:20: targets[0].tls.cert_file: cert_file and key_file go together");
}

TEST_F(TlsKindTest, ExpiryWarnIsExposed) {
    config::Diagnostics out;
    auto const o = options({opt("expiry_warn", "14d")}, out);
    ASSERT_TRUE(o) << out.front().to_string();
    EXPECT_EQ(expiry_warn_of(o.get()), std::chrono::seconds(14 * 86400));
    EXPECT_EQ(expiry_warn_of(options({opt("expiry_warn", "12h")}, out).get()),
              std::chrono::seconds(12 * 3600));
    EXPECT_EQ(expiry_warn_of(options({}, out).get()), std::nullopt);
    EXPECT_EQ(expiry_warn_of(nullptr), std::nullopt);
}

TEST_F(TlsKindTest, ReasonsAreNamedInTheRegistry) {
    for (auto const* name : {"tls-handshake", "cert-expired", "cert-untrusted", "cert-hostname"}) {
        auto const ec = reason_from_name(name);
        EXPECT_EQ(&ec.category(), &tls_category()) << name;
        EXPECT_EQ(reason_name(ec), name);
        EXPECT_EQ(ec, ProbeCondition::target_failed);
    }
    EXPECT_EQ(find_kind("tls"), &tls_kind);
}

}  // namespace
}  // namespace portwatch::probe
