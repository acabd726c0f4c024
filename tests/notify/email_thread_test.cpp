// Email threading end to end: `portwatch check` runs (one process each) send a target's DOWN,
// then its UP, to a real SMTP server (aiosmtpd); the UP mail answers the DOWN mail
// (In-Reply-To and References name its Message-ID, derived from the incident, so it survives
// the process ending), and the subject template's {message} is the rendered message.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/listener.hpp"
#include "support/process.hpp"
#include "support/smtp_server.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::test {
namespace {

using namespace std::chrono_literals;

/// The value of header `name` in a raw mail ("" when absent).
std::string header(std::string const& raw, std::string const& name) {
    auto const at = raw.find("\r\n" + name + ": ");
    if (at == std::string::npos) {
        return {};
    }
    auto const from = at + name.size() + 4;
    return raw.substr(from, raw.find("\r\n", from) - from);
}

TEST(EmailThread, UpMailOfALaterRunAnswersTheDownMail) {
    SmtpServer server;
    ASSERT_TRUE(server.ok()) << server.error();
    FlipPort target(false);
    TempDir dir;
    auto const key = "127.0.0.1:" + std::to_string(target.port());
    dir.write("pw.yaml", "notifiers:\n  - {name: mail, type: email, url: '" + server.url() +
                             "', starttls: false, from: pw@example.com, to: ops@example.com,"
                             " subject: '[pw] {message}', body: '{message} ({name})'}\n"
                             "targets:\n  - {name: db, host: 127.0.0.1, port: " +
                             std::to_string(target.port()) + ", description: orders}\n");
    auto const check = [&] {
        return run_portwatch({"check", "-c", (dir / "pw.yaml").string()},
                             {.cwd = dir.path(), .env = {{"TZ", "UTC"}}, .timeout = 60s});
    };
    auto r = check();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_TRUE(server.wait_received(1, 10s)) << r.out << r.err;
    ASSERT_TRUE(target.set(true));
    r = check();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_TRUE(server.wait_received(2, 10s)) << r.out << r.err;
    auto const mails = server.received();
    ASSERT_EQ(mails.size(), 2u);
    EXPECT_TRUE(mails[0].subject.starts_with("[pw] orders (" + key + ") 장애 ("))
        << mails[0].subject;
    EXPECT_TRUE(mails[1].subject.starts_with("[pw] orders (" + key + ") 복구 ("))
        << mails[1].subject;
    EXPECT_NE(mails[0].body.find(") (db)"), std::string::npos) << mails[0].body;
    auto const root = header(mails[0].raw, "Message-ID");
    ASSERT_FALSE(root.empty()) << mails[0].raw;
    EXPECT_EQ(header(mails[0].raw, "In-Reply-To"), "") << mails[0].raw;
    EXPECT_EQ(header(mails[1].raw, "In-Reply-To"), root) << mails[1].raw;
    EXPECT_EQ(header(mails[1].raw, "References"), root) << mails[1].raw;
    EXPECT_NE(header(mails[1].raw, "Message-ID"), root);
}

}  // namespace
}  // namespace portwatch::test
