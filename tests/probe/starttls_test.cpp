// kind tcp with starttls: SMTP (a hand-written responder and aiosmtpd), IMAP, POP3, FTP and
// PostgreSQL's SSLRequest, then the TLS handshake and the certificate's facts.
#include "probe/starttls.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "probe/engine.hpp"
#include "probe/tcp.hpp"
#include "probe/tls_client.hpp"
#include "probe/tls_fixture.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
using config::Option;
using config::OptionNode;
using test::StreamServer;

class StartTls : public ::testing::Test {
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

    static Option scalar(std::string key, std::string value) {
        return {.key = std::move(key),
                .value = {.type = OptionNode::Type::scalar,
                          .scalar = std::move(value),
                          .line = 2,
                          .column = 15},
                .line = 2,
                .column = 5};
    }
    static ProbeRequest request(std::uint16_t port, std::string const& protocol,
                                std::chrono::milliseconds timeout = 5s) {
        Option tls{.key = "tls", .value = {.type = OptionNode::Type::map}, .line = 3, .column = 5};
        tls.value.entries.push_back(scalar("ca_file", certs_->ca.string()));
        tls.value.entries.push_back(scalar("expiry_warn", "21d"));
        config::OptionBag bag{.file = "pw.yaml", .path = "targets[0]"};
        bag.entries = {scalar("starttls", protocol), tls};
        config::Diagnostics out;
        auto o = tcp_kind.parse_options(bag, out);
        EXPECT_TRUE(out.empty()) << out.front().to_string();
        EXPECT_EQ(expiry_warn_of(o.get()), std::chrono::seconds(21 * 86400));
        return {.host = "localhost", .port = port, .timeout = timeout, .options = std::move(o)};
    }
    static ProbeResult probe(ProbeRequest r) { return probe_all({std::move(r)}, {}).at(0); }

    static test::TempDir* dir_;
    static test::TestCerts* certs_;
};

test::TempDir* StartTls::dir_ = nullptr;
test::TestCerts* StartTls::certs_ = nullptr;

TEST_F(StartTls, EveryProtocolReachesTlsAndReadsTheCertificate) {
    for (auto const* protocol : {"smtp", "imap", "pop3", "ftp", "postgres"}) {
        StreamServer server(protocol, certs_->valid);
        ASSERT_TRUE(server.ok()) << server.error();
        auto const r = probe(request(server.port(), protocol));
        EXPECT_TRUE(r.up) << protocol << ": " << r.reason() << " " << r.detail;
        EXPECT_EQ(r.facts.cert_not_after, test::not_after_of(certs_->valid.cert)) << protocol;
        EXPECT_EQ(r.facts.cert_subject, "CN=localhost") << protocol;
        EXPECT_EQ(r.facts.tls_version, "TLSv1.3") << protocol;
        EXPECT_GT(r.facts.tls_time.count(), 0) << protocol;
    }
}

TEST_F(StartTls, AioSmtpd) {
    StreamServer server("aiosmtpd", certs_->soon);
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), "smtp"));
    EXPECT_TRUE(r.up) << r.reason() << " " << r.detail;
    EXPECT_EQ(r.facts.cert_not_after, test::not_after_of(certs_->soon.cert));
    EXPECT_FALSE(r.facts.tls_version.empty());
}

TEST_F(StartTls, CertificateFailuresAfterStartTls) {
    struct Case {
        test::CertPair const* pair;
        char const* reason;
    };
    for (auto const& c :
         {Case{&certs_->expired, "cert-expired"}, Case{&certs_->untrusted, "cert-untrusted"},
          Case{&certs_->wrong_host, "cert-hostname"}}) {
        StreamServer server("smtp", *c.pair);
        ASSERT_TRUE(server.ok()) << server.error();
        auto const r = probe(request(server.port(), "smtp"));
        EXPECT_FALSE(r.up);
        EXPECT_EQ(r.reason(), c.reason) << r.detail;
        EXPECT_EQ(r.facts.cert_not_after, test::not_after_of(c.pair->cert)) << c.reason;
    }
}

TEST_F(StartTls, RefusalsAreStartTlsFailed) {
    StreamServer smtp("smtp-refuse", certs_->valid);
    ASSERT_TRUE(smtp.ok()) << smtp.error();
    auto const r = probe(request(smtp.port(), "smtp"));
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "starttls-failed");
    EXPECT_EQ(r.detail, "smtp STARTTLS with 127.0.0.1:" + std::to_string(smtp.port()) +
                            ": refused: '454 4.7.0 TLS not available\\r\\n'");
    EXPECT_EQ(r.facts.cert_not_after, 0);

    StreamServer pg("postgres-refuse", certs_->valid);
    ASSERT_TRUE(pg.ok()) << pg.error();
    auto const p = probe(request(pg.port(), "postgres"));
    EXPECT_EQ(p.reason(), "starttls-failed");
    EXPECT_EQ(p.detail,
              "postgres STARTTLS with 127.0.0.1:" + std::to_string(pg.port()) + ": refused: 'N'");
}

TEST_F(StartTls, WrongServiceIsStartTlsFailedAndSilenceIsTimeout) {
    StreamServer pop("pop3", certs_->valid);  // a POP3 greeting where SMTP is expected
    ASSERT_TRUE(pop.ok()) << pop.error();
    auto const r = probe(request(pop.port(), "imap"));
    EXPECT_EQ(r.reason(), "starttls-failed");
    EXPECT_EQ(r.detail, "imap STARTTLS with 127.0.0.1:" + std::to_string(pop.port()) +
                            ": refused: '+OK pwtest POP3\\r\\n'");
    StreamServer silent("silent");
    ASSERT_TRUE(silent.ok()) << silent.error();
    auto const s = probe(request(silent.port(), "smtp", 300ms));
    EXPECT_EQ(s.reason(), "timeout");
    EXPECT_EQ(s.detail, "smtp STARTTLS with 127.0.0.1:" + std::to_string(silent.port()) +
                            ": no answer within 300 ms; got ''");
}

TEST_F(StartTls, DialoguesAreKnownByName) {
    for (auto const* name : {"smtp", "imap", "pop3", "ftp", "postgres"}) {
        auto const* d = starttls_dialogue(name);
        ASSERT_NE(d, nullptr) << name;
        EXPECT_FALSE(d->empty());
        for (auto const& step : *d) {
            EXPECT_TRUE(step.expect && step.accept) << name;
        }
    }
    EXPECT_EQ(starttls_dialogue("gopher"), nullptr);
}

}  // namespace
}  // namespace portwatch::probe
