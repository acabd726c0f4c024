// `portwatch check -c` with an email notifier: events go through the outbox to a real SMTP
// server (aiosmtpd) as mails, the DOWN and then the UP of one target.
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

TEST(CheckEmail, DownThenUpArriveAsTwoMails) {
    SmtpServer server;
    ASSERT_TRUE(server.ok()) << server.error();
    FlipPort target(false);
    TempDir dir;
    auto const key = "127.0.0.1:" + std::to_string(target.port());
    dir.write("pw.yaml", "notifiers:\n  - {name: mail, type: email, url: '" + server.url() +
                             "', starttls: false, from: pw@example.com, to: ops@example.com}\n"
                             "targets:\n  - {host: 127.0.0.1, port: " +
                             std::to_string(target.port()) + ", description: 주문 DB}\n");
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
    EXPECT_TRUE(mails[0].subject.starts_with("주문 DB (" + key + ") 장애 (")) << mails[0].subject;
    EXPECT_TRUE(mails[1].subject.starts_with("주문 DB (" + key + ") 복구 (")) << mails[1].subject;
    EXPECT_NE(mails[0].body.find("Reason:        refused"), std::string::npos) << mails[0].body;
    EXPECT_EQ(mails[0].rcpt_to, std::vector<std::string>{"ops@example.com"});
    // Each mail has its own Message-ID.
    auto const id = [](std::string const& raw) {
        auto const at = raw.find("\r\nMessage-ID: ");
        return at == std::string::npos ? std::string()
                                       : raw.substr(at, raw.find("\r\n", at + 2) - at);
    };
    EXPECT_FALSE(id(mails[0].raw).empty());
    EXPECT_NE(id(mails[0].raw), id(mails[1].raw));
}

}  // namespace
}  // namespace portwatch::test
