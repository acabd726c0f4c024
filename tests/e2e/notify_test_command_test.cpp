// `portwatch notify-test NAME`: the built binary sends a test message through one notifier
// of a config (an email notifier against a real SMTP server, exec notifiers) and reports.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::test {
namespace {

using namespace std::chrono_literals;

class NotifyTestCommand : public ::testing::Test {
  protected:
    ProcessResult notify_test(std::string const& yaml, std::string const& name,
                              std::map<std::string, std::string> env = {}) {
        dir_.write("pw.yaml", yaml);
        return run_portwatch({"notify-test", name, "-c", (dir_ / "pw.yaml").string()},
                             {.cwd = dir_.path(), .env = std::move(env), .timeout = 60s});
    }
    TempDir dir_;
};

std::string const targets = "targets:\n  - {name: db, host: 127.0.0.1, port: 5432}\n";

TEST_F(NotifyTestCommand, EmailIsDeliveredOverStartTlsWithAPasswordFromTheEnvironment) {
    std::string error;
    auto const cert = make_test_cert(dir_.path(), "smtp", error);
    ASSERT_TRUE(cert) << error;
    SmtpServer server({.mode = SmtpServerOptions::Mode::starttls,
                       .cert = *cert,
                       .user = "pw",
                       .password = "s3cret-smtp"});
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r =
        notify_test("notifiers:\n  - name: mail\n    type: email\n    url: " + server.url() +
                        "\n    ca_file: smtp.pem\n    from: pw@example.com\n"
                        "    to: [ops@example.com, dba@example.com]\n    username: pw\n"
                        "    password_env: PW_TEST_SMTP_PASSWORD\n    timeout: 10s\n" +
                        targets,
                    "mail", {{"PW_TEST_SMTP_PASSWORD", "s3cret-smtp"}});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "mail: delivered\n");
    EXPECT_EQ((r.out + r.err).find("s3cret-smtp"), std::string::npos);
    ASSERT_TRUE(server.wait_received(1, 10s));
    auto const got = server.received().at(0);
    EXPECT_EQ(got.auth_login, "pw");
    EXPECT_TRUE(got.tls);
    EXPECT_EQ(got.rcpt_to, (std::vector<std::string>{"ops@example.com", "dba@example.com"}));
    EXPECT_TRUE(got.subject.starts_with("[TEST] portwatch notify-test")) << got.subject;
    EXPECT_NE(got.subject.find("(portwatch-test:0)"), std::string::npos) << got.subject;
    EXPECT_NE(got.body.find("no target is down"), std::string::npos) << got.body;
}

TEST_F(NotifyTestCommand, EmailRefusalIsReportedWithItsCondition) {
    SmtpServer server({.reject_rcpt = {"nobody@example.com"}});
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = notify_test("notifiers:\n  - {name: mail, type: email, url: '" + server.url() +
                                   "', starttls: false, from: pw@example.com, to: "
                                   "nobody@example.com}\n" +
                                   targets,
                               "mail");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(r.out.starts_with("mail: failed: SMTP 550")) << r.out;
    EXPECT_TRUE(r.out.ends_with(" (rejected, permanent)\n")) << r.out;
    EXPECT_TRUE(server.received().empty());
}

TEST_F(NotifyTestCommand, ExecGetsTheTestMessageAsItsLastArgument) {
    auto const r = notify_test(
        "notifiers:\n  - {name: other, type: exec, command: [/bin/false]}\n"
        "  - {name: seed, type: exec, command: [/bin/sh, -c, 'printf %s \"$1\" > got.txt', sh]}\n" +
            targets,
        "seed");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "seed: delivered\n");
    auto const message = dir_.read("got.txt");
    EXPECT_TRUE(message.starts_with("[TEST] portwatch notify-test")) << message;
    EXPECT_NE(message.find("(portwatch-test:0) \xEC\x9E\xA5\xEC\x95\xA0 ("), std::string::npos)
        << message;  // the seed's text with its 장애 word, from the notifier's templates
}

TEST_F(NotifyTestCommand, AFailingExecIsReported) {
    auto const r = notify_test(
        "notifiers:\n  - {name: broken, type: exec, command: [/bin/sh, -c, 'exit 3']}\n" + targets,
        "broken");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out, "broken: failed: exit status 3 (exit_status, retryable)\n");
}

TEST_F(NotifyTestCommand, AnUnknownNameOrABadConfigIsExit2) {
    auto r = notify_test(
        "notifiers:\n  - {name: seed, type: exec, command: [/bin/true]}\n" + targets, "mail");
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("no notifier named 'mail' in " + (dir_ / "pw.yaml").string() +
                         " (it has: seed)"),
              std::string::npos)
        << r.err;
    r = notify_test(
        "notifiers:\n  - {name: mail, type: email, url: 'http://x', from: a@b.c, to: "
        "a@b.c}\n" +
            targets,
        "mail");
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("pw.yaml:2:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("unsupported scheme 'http'"), std::string::npos) << r.err;
    auto const missing =
        run_portwatch({"notify-test", "seed", "-c", (dir_ / "none.yaml").string()});
    EXPECT_EQ(missing.exit_code, 4) << missing.err;
}

}  // namespace
}  // namespace portwatch::test
