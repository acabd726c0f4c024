// The email notifier against a real SMTP server on loopback (aiosmtpd, started by the test):
// plain, STARTTLS, SMTPS, AUTH PLAIN and LOGIN, several recipients, refusals, no answer.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "notify/email.hpp"
#include "notify/message.hpp"
#include "support/listener.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::notify {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::SmtpServer;
using Mode = test::SmtpServerOptions::Mode;

Notification notification() {
    eval::Event e{.id = "1796431255000000-down-db1:5432",
                  .kind = eval::EventKind::down,
                  .key = "db1:5432",
                  .host = "db1",
                  .port = 5432,
                  .description = "주문 데이터베이스",
                  .reason = "refused",
                  .detail = "Connection refused",
                  .time = util::TimePoint(1'796'431'255s),
                  .down_since = util::TimePoint(1'796'431'255s)};
    auto message = render(e);
    return Notification{.event = std::move(e), .message = std::move(message)};
}

EmailOptions options_for(SmtpServer const& server) {
    return EmailOptions{
        .name = "mail",
        .url = server.url(),
        .content = {.from = {"portwatch", "pw@example.com"}, .to = {{"", "ops@example.com"}}}};
}

/// Delivers one notification and waits (bounded) for its outcome.
DeliveryResult deliver(EmailOptions options, std::chrono::milliseconds timeout = 10s) {
    asio::io_context io;
    std::optional<DeliveryResult> got;
    {
        EmailNotifier notifier(io, std::move(options));
        notifier.deliver(notification(), timeout, [&](DeliveryResult r) { got = std::move(r); });
        auto const end = std::chrono::steady_clock::now() + timeout + 10s;
        while (!got && std::chrono::steady_clock::now() < end) {
            io.run_one_for(100ms);
            io.restart();
        }
    }
    EXPECT_TRUE(got.has_value()) << "no outcome within the timeout";
    return got.value_or(DeliveryResult{make_error_code(DeliveryError::unknown_status), "none", {}});
}

/// The message without its first line (Date: depends on the clock).
std::string without_date(std::string const& mail) {
    EXPECT_TRUE(mail.starts_with("Date: ")) << mail.substr(0, 40);
    return mail.substr(mail.find("\r\n") + 2);
}

class EmailDeliveryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string error;
        auto c = test::make_test_cert(dir_.path(), "server", error);
        ASSERT_TRUE(c) << error;
        cert_ = *c;
        auto o = test::make_test_cert(dir_.path(), "other", error);
        ASSERT_TRUE(o) << error;
        other_ = *o;
    }
    test::TempDir dir_;
    test::TestCert cert_;
    test::TestCert other_;  ///< a certificate the server does not use
};

TEST_F(EmailDeliveryTest, PlainSmtpCarriesTheMessageByteForByte) {
    SmtpServer server;
    ASSERT_TRUE(server.ok()) << server.error();
    auto o = options_for(server);
    o.starttls = false;
    o.content.to = {{"", "ops@example.com"}, {"운영팀", "dba@example.com"}, {"", "x@example.org"}};
    // A line of one dot and a line starting with dots: curl must dot-stuff them.
    o.content.body = "{name} is down\n.\n..two dots\nend\n";
    auto const r = deliver(o);
    ASSERT_TRUE(r.ok()) << r.detail;
    ASSERT_TRUE(server.wait_received(1, 10s));
    auto const got = server.received().at(0);
    EXPECT_EQ(got.mail_from, "pw@example.com");
    EXPECT_EQ(got.rcpt_to,
              (std::vector<std::string>{"ops@example.com", "dba@example.com", "x@example.org"}));
    EXPECT_FALSE(got.tls);
    auto const n = notification();
    EXPECT_EQ(without_date(got.raw),
              without_date(build_email(o.content, n.event, n.message, util::Clock::now())));
    // Python's own parser reads back what we encoded.
    EXPECT_EQ(got.subject, n.message);
    EXPECT_EQ(got.body, "db1:5432 is down\r\n.\r\n..two dots\r\nend\r\n");
}

TEST_F(EmailDeliveryTest, StartTlsWithTheServersCa) {
    SmtpServer server({.mode = Mode::starttls, .cert = cert_});
    ASSERT_TRUE(server.ok()) << server.error();
    auto o = options_for(server);
    o.tls.ca_file = cert_.cert.string();
    auto const r = deliver(o);
    ASSERT_TRUE(r.ok()) << r.detail;
    ASSERT_TRUE(server.wait_received(1, 10s));
    auto const got = server.received().at(0);
    EXPECT_TRUE(got.tls);
    EXPECT_EQ(got.subject, notification().message);
    EXPECT_NE(got.body.find("Connection refused"), std::string::npos) << got.body;
}

TEST_F(EmailDeliveryTest, StartTlsIsRequiredByDefault) {
    SmtpServer server;  // offers no STARTTLS
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = deliver(options_for(server));
    EXPECT_EQ(r.error, DeliveryError::connection_failed) << r.detail;
    EXPECT_EQ(r.error, DeliveryCondition::retryable);
    EXPECT_TRUE(server.received().empty());
}

TEST_F(EmailDeliveryTest, AnUntrustedCertificateFailsUnlessVerificationIsOff) {
    SmtpServer server({.mode = Mode::starttls, .cert = cert_});
    ASSERT_TRUE(server.ok()) << server.error();
    auto o = options_for(server);
    o.tls.ca_file = other_.cert.string();
    auto const r = deliver(o);
    EXPECT_EQ(r.error, DeliveryError::connection_failed) << r.detail;
    EXPECT_TRUE(server.received().empty());
    o.tls.verify = false;
    auto const unverified = deliver(o);
    EXPECT_TRUE(unverified.ok()) << unverified.detail;
    EXPECT_TRUE(server.wait_received(1, 10s));
}

TEST_F(EmailDeliveryTest, SmtpsIsTlsFromTheStart) {
    SmtpServer server({.mode = Mode::smtps, .cert = cert_});
    ASSERT_TRUE(server.ok()) << server.error();
    auto o = options_for(server);
    EXPECT_TRUE(o.url.starts_with("smtps://"));
    o.tls.ca_file = cert_.cert.string();
    auto const r = deliver(o);
    ASSERT_TRUE(r.ok()) << r.detail;
    ASSERT_TRUE(server.wait_received(1, 10s));
    EXPECT_TRUE(server.received().at(0).tls);
}

TEST_F(EmailDeliveryTest, AuthPlainAndLogin) {
    for (auto const* mechanism : {"PLAIN", "LOGIN"}) {
        SCOPED_TRACE(mechanism);
        SmtpServer server(
            {.mode = Mode::starttls,
             .cert = cert_,
             .user = "pw",
             .password = "s3cret pass",
             .exclude_auth = {mechanism == std::string("PLAIN") ? "LOGIN" : "PLAIN"}});
        ASSERT_TRUE(server.ok()) << server.error();
        auto o = options_for(server);
        o.tls.ca_file = cert_.cert.string();
        o.username = "pw";
        o.password = "s3cret pass";
        auto const r = deliver(o);
        ASSERT_TRUE(r.ok()) << r.detail;
        ASSERT_TRUE(server.wait_received(1, 10s));
        auto const got = server.received().at(0);
        EXPECT_EQ(got.auth_mechanism, mechanism);
        EXPECT_EQ(got.auth_login, "pw");
        EXPECT_TRUE(got.tls);
    }
}

TEST_F(EmailDeliveryTest, AuthFailureIsPermanent) {
    SmtpServer server({.mode = Mode::starttls, .cert = cert_, .user = "pw", .password = "right"});
    ASSERT_TRUE(server.ok()) << server.error();
    auto o = options_for(server);
    o.tls.ca_file = cert_.cert.string();
    o.username = "pw";
    o.password = "wrong";
    auto const r = deliver(o);
    EXPECT_EQ(r.error, DeliveryError::rejected) << r.detail;
    EXPECT_EQ(r.error, DeliveryCondition::permanent);
    EXPECT_NE(r.detail.find("535"), std::string::npos) << r.detail;
    EXPECT_EQ(r.detail.find("wrong"), std::string::npos) << r.detail;
    EXPECT_TRUE(server.received().empty());
}

TEST_F(EmailDeliveryTest, RefusedRecipientIsPermanent) {
    SmtpServer server({.reject_rcpt = {"nobody@example.com"}});
    ASSERT_TRUE(server.ok()) << server.error();
    auto o = options_for(server);
    o.starttls = false;
    o.content.to = {{"", "nobody@example.com"}};
    auto const r = deliver(o);
    EXPECT_EQ(r.error, DeliveryError::rejected) << r.detail;
    EXPECT_EQ(r.error, DeliveryCondition::permanent);
    EXPECT_NE(r.detail.find("550"), std::string::npos) << r.detail;
    EXPECT_TRUE(server.received().empty());
}

TEST_F(EmailDeliveryTest, TransientRefusalIsRetried) {
    SmtpServer server({.data_reply = "451 4.3.0 try again later"});
    ASSERT_TRUE(server.ok()) << server.error();
    auto o = options_for(server);
    o.starttls = false;
    auto const r = deliver(o);
    EXPECT_EQ(r.error, DeliveryError::http_status) << r.detail;
    EXPECT_EQ(r.error, DeliveryCondition::retryable);
    EXPECT_NE(r.detail.find("451"), std::string::npos) << r.detail;
}

TEST_F(EmailDeliveryTest, AServerThatNeverAnswersTimesOut) {
    test::LoopbackListener silent;  // accepts, sends no greeting
    ASSERT_TRUE(silent.ok()) << silent.error();
    EmailOptions o{.url = "smtp://127.0.0.1:" + std::to_string(silent.port()),
                   .content = {.from = {"", "pw@example.com"}, .to = {{"", "ops@example.com"}}}};
    auto const r = deliver(o, 1s);
    EXPECT_EQ(r.error, DeliveryError::timed_out) << r.detail;
    EXPECT_EQ(r.error, DeliveryCondition::timeout);
    EXPECT_GE(silent.accepted(), 1u);
}

TEST_F(EmailDeliveryTest, ARefusedConnectionIsRetryable) {
    test::ClosedPort closed;
    ASSERT_TRUE(closed.ok());
    EmailOptions o{.url = "smtp://127.0.0.1:" + std::to_string(closed.port()),
                   .content = {.from = {"", "pw@example.com"}, .to = {{"", "ops@example.com"}}}};
    auto const r = deliver(o);
    EXPECT_EQ(r.error, DeliveryError::connection_failed) << r.detail;
    EXPECT_EQ(r.error, DeliveryCondition::retryable);
}

}  // namespace
}  // namespace portwatch::notify
