// The email notifier's pure part: messages compared byte for byte with golden files, header
// encoding, Message-IDs and threading, outcome mapping, and the options' diagnostics.
#include "notify/email.hpp"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/yaml.hpp"
#include "notify/email_message.hpp"
#include "notify/message.hpp"
#include "notify/registry.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::notify {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// 2026-12-05 00:40:55 UTC (09:40:55 in Seoul).
constexpr util::TimePoint t0{1'796'431'255s};

class EmailTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ::setenv("TZ", "Asia/Seoul", 1);
        ::tzset();
    }
    void TearDown() override {
        ::unsetenv("TZ");
        ::tzset();
    }
};

eval::Event down_event() {
    return eval::Event{.id = "1796431255000000-down-db1.example.com:5432",
                       .kind = eval::EventKind::down,
                       .key = "db1.example.com:5432",
                       .host = "db1.example.com",
                       .port = 5432,
                       .description = "주문 데이터베이스",
                       .reason = "refused",
                       .detail = "connect to 127.0.0.1:5432: Connection refused",
                       .time = t0,
                       .name = "orders-db",
                       .group = "db",
                       .labels = {{"env", "prod"}, {"team", "payments"}},
                       .down_since = t0};
}

eval::Event up_event() {
    auto e = down_event();
    e.kind = eval::EventKind::up;
    e.time = t0 + 3903s;
    e.id = "1796435158000000-up-db1.example.com:5432";
    e.reason.clear();
    e.detail = "connected in 2 ms";
    return e;
}

eval::Event reminder_event() {
    auto e = down_event();
    e.time = t0 + 3600s;
    e.id = "1796434855000000-down-db1.example.com:5432-reminder";
    e.reminder = true;
    return e;
}

EmailContent default_content() {
    return EmailContent{.from = {"portwatch", "pw@example.com"}, .to = {{"", "ops@example.com"}}};
}

/// Compares with tests/notify/golden/NAME; PORTWATCH_UPDATE_GOLDEN=1 rewrites the file.
void expect_golden(std::string const& name, std::string const& actual) {
    auto const path = fs::path(PORTWATCH_SOURCE_DIR) / "tests/notify/golden" / name;
    if (std::getenv("PORTWATCH_UPDATE_GOLDEN") != nullptr) {
        std::ofstream(path, std::ios::binary) << actual;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "missing golden file " << path;
    std::ostringstream expected;
    expected << in.rdbuf();
    EXPECT_EQ(actual, expected.str()) << "golden " << name;
}

/// Every line of a message ends with CRLF, none passes 998 octets, headers 78 (ours 76).
void expect_wellformed(std::string const& mail) {
    ASSERT_TRUE(mail.ends_with("\r\n"));
    std::size_t start = 0;
    bool in_headers = true;
    while (start < mail.size()) {
        auto const end = mail.find('\n', start);
        ASSERT_NE(end, std::string::npos);
        ASSERT_GT(end, start) << "bare LF at " << start;
        ASSERT_EQ(mail[end - 1], '\r') << "bare LF at " << end;
        auto const line = mail.substr(start, end - 1 - start);
        EXPECT_EQ(line.find('\r'), std::string::npos) << line;
        EXPECT_LE(line.size(), in_headers ? 78u : 998u) << line;
        in_headers = in_headers && !line.empty();
        start = end + 1;
    }
}

TEST_F(EmailTest, DownMailMatchesItsGoldenFile) {
    auto const e = down_event();
    auto const mail = build_email(default_content(), e, render(e), t0 + 2s);
    expect_wellformed(mail);
    expect_golden("email_down.eml", mail);
}

TEST_F(EmailTest, UpAndReminderMailsReplyToTheDownMail) {
    auto const up = up_event();
    auto const up_mail = build_email(default_content(), up, render(up), t0 + 3905s);
    expect_wellformed(up_mail);
    expect_golden("email_up.eml", up_mail);
    auto const rem = reminder_event();
    auto const rem_mail = build_email(default_content(), rem, render(rem), t0 + 3601s);
    expect_wellformed(rem_mail);
    expect_golden("email_reminder.eml", rem_mail);

    auto const root = email_message_id(down_event());
    EXPECT_EQ(root, "<db1.example.com%3A5432/1796431255@portwatch>");
    EXPECT_EQ(email_thread_root(down_event()), std::nullopt);
    for (auto const& mail : {up_mail, rem_mail}) {
        EXPECT_NE(mail.find("\r\nIn-Reply-To: " + root + "\r\n"), std::string::npos);
        EXPECT_NE(mail.find("\r\nReferences: " + root + "\r\n"), std::string::npos);
    }
}

TEST_F(EmailTest, AsciiTemplatesGoAs7bitWithSeveralRecipients) {
    auto e = down_event();
    e.description.clear();
    auto content = default_content();
    content.to = {*parse_mailbox("운영팀 <ops@example.com>"),
                  *parse_mailbox("\"Ops, Night \\\\ Shift\" <night@example.com>"),
                  *parse_mailbox("pager@example.com")};
    content.subject = "[{reason}] {name} ({key}) env={labels.env}";
    content.body = "Target {name} ({key}) is down: {detail}\n.\n..two dots\r\nsince {duration}\n";
    auto const mail = build_email(content, e, render(e), t0 + 2s);
    expect_wellformed(mail);
    expect_golden("email_ascii_templates.eml", mail);
    EXPECT_NE(mail.find("Content-Transfer-Encoding: 7bit\r\n"), std::string::npos);
    EXPECT_NE(mail.find("\r\n\r\nTarget orders-db (db1.example.com:5432) is down: "),
              std::string::npos);
}

TEST_F(EmailTest, CertificateMailsShareOneThreadRoot) {
    eval::Event e{.id = "1796431255000000-cert-expiring-www:443",
                  .kind = eval::EventKind::cert_expiring,
                  .key = "www:443",
                  .host = "www",
                  .port = 443,
                  .time = t0,
                  .cert_not_after = 1'797'000'000};
    auto const mail = build_email(default_content(), e, render(e), t0);
    expect_wellformed(mail);
    expect_golden("email_cert_expiring.eml", mail);
    auto renewed = e;
    renewed.kind = eval::EventKind::cert_renewed;
    renewed.id = "1796431300000000-cert-renewed-www:443";
    EXPECT_EQ(email_thread_root(e), email_thread_root(renewed));
    EXPECT_EQ(email_thread_root(e), "<www%3A443/cert/1797000000@portwatch>");
    EXPECT_NE(email_message_id(e), email_message_id(renewed));
}

TEST_F(EmailTest, MessageIdsAreUniquePerEventAndStablePerRetry) {
    std::set<std::string> ids;
    for (auto const& e : {down_event(), up_event(), reminder_event()}) {
        auto const id = email_message_id(e);
        EXPECT_EQ(id, email_message_id(e));
        EXPECT_TRUE(ids.insert(id).second) << id;
        EXPECT_TRUE(id.starts_with("<") && id.ends_with("@portwatch>")) << id;
        EXPECT_EQ(id.find_first_of(" \":[]()<>,;\\", 1), id.size() - 1) << id;
    }
    // The next incident of the same target opens a new thread.
    auto next = down_event();
    next.time = next.down_since = t0 + 86400s;
    next.id = "1796517655000000-down-db1.example.com:5432";
    EXPECT_NE(email_message_id(next), email_message_id(down_event()));
    // An up event whose incident start is unknown (stored by an older version): no thread.
    auto old = up_event();
    old.down_since = {};
    EXPECT_EQ(email_thread_root(old), std::nullopt);
    EXPECT_EQ(email_message_id(old), "<1796435158000000-up-db1.example.com%3A5432@portwatch>");
    // Bytes that a dot-atom cannot hold are escaped, so different keys never collide.
    auto odd = down_event();
    odd.key = "[::1]:80";
    EXPECT_EQ(email_message_id(odd), "<%5B%3A%3A1%5D%3A80/1796431255@portwatch>");
}

TEST(EmailHeaderTest, SubjectIsEncodedOnlyWhenNeededAndSplitBetweenCharacters) {
    EXPECT_EQ(encode_header_text("db1:5432 DOWN", 9), "db1:5432 DOWN");
    EXPECT_EQ(encode_header_text("line\r\nBcc: evil@example.com", 9),
              "line  Bcc: evil@example.com");
    EXPECT_EQ(encode_header_text("장애", 9), "=?UTF-8?B?7J6l7JWg?=");
    EXPECT_EQ(encode_header_text("=?not-a-word?=", 9), "=?UTF-8?B?PT9ub3QtYS13b3JkPz0=?=");
    // A long Korean subject: several encoded words, each line at most 76 columns, and every
    // word decodes to whole characters.
    std::string long_text;
    for (int i = 0; i < 20; ++i) {
        long_text += "주문 데이터베이스 ";
    }
    auto const encoded = encode_header_text(long_text, 9);
    std::istringstream lines(encoded);
    std::string line;
    std::size_t n = 0;
    while (std::getline(lines, line)) {
        line = line.ends_with('\r') ? line.substr(0, line.size() - 1) : line;
        EXPECT_LE(line.size() + (n == 0 ? 9 : 0), 76u) << line;
        EXPECT_TRUE(line.starts_with(n == 0 ? "=?UTF-8?B?" : " =?UTF-8?B?")) << line;
        // 3-byte characters in base64 groups of 3 bytes: whole characters iff no padding.
        EXPECT_EQ(line.find('='), line.find("=?UTF-8")) << line;
        ++n;
    }
    EXPECT_GT(n, 5u);
}

TEST(EmailHeaderTest, MailboxesAndDates) {
    EXPECT_EQ(parse_mailbox("ops@example.com"), (Mailbox{"", "ops@example.com"}));
    EXPECT_EQ(parse_mailbox(" Ops Team <ops@example.com> "),
              (Mailbox{"Ops Team", "ops@example.com"}));
    EXPECT_EQ(parse_mailbox("\"Ops\" <ops@example.com>"), (Mailbox{"Ops", "ops@example.com"}));
    EXPECT_EQ(parse_mailbox("\"A \\\"B\\\" \\\\C\" <a@example.com>"),
              (Mailbox{"A \"B\" \\C", "a@example.com"}));
    for (auto const* bad :
         {"", "ops", "@example.com", "ops@", "a b@example.com", "ops@example.com>",
          "x <ops@example.com", "a@b@c", "ops@example.com\r\nBcc: x@y", "Ops\n <ops@example.com>",
          "<ops@example.com,evil@example.com>"}) {
        EXPECT_EQ(parse_mailbox(bad), std::nullopt) << bad;
    }
    EXPECT_EQ(format_mail_date(t0), "Sat, 05 Dec 2026 00:40:55 +0000");
    EXPECT_EQ(format_mail_date(util::TimePoint{}), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("\xff\xfe\x00"), "//4=");
}

TEST(EmailOutcomeTest, SmtpRepliesMapToConditions) {
    struct Case {
        char const* name;
        MailResult in;
        DeliveryError error;
        DeliveryCondition condition;
    };
    for (auto const& c : std::vector<Case>{
             {"timeout",
              {"Timeout was reached", true, 0},
              DeliveryError::timed_out,
              DeliveryCondition::timeout},
             {"refused",
              {"Couldn't connect to server", false, 0},
              DeliveryError::connection_failed,
              DeliveryCondition::retryable},
             {"tls",
              {"SSL peer certificate was not OK", false, 220},
              DeliveryError::connection_failed,
              DeliveryCondition::retryable},
             {"greylisted",
              {"Failed sending data", false, 451},
              DeliveryError::http_status,
              DeliveryCondition::retryable},
             {"no mailbox",
              {"RCPT failed", false, 550},
              DeliveryError::rejected,
              DeliveryCondition::permanent},
             {"auth",
              {"Login denied", false, 535},
              DeliveryError::rejected,
              DeliveryCondition::permanent},
         }) {
        SCOPED_TRACE(c.name);
        auto const r = email_outcome(c.in);
        EXPECT_EQ(r.error, c.error);
        EXPECT_EQ(r.error, c.condition);
        EXPECT_NE(r.detail.find(c.in.error), std::string::npos) << r.detail;
        if (c.in.smtp_code >= 400) {
            EXPECT_NE(r.detail.find("SMTP " + std::to_string(c.in.smtp_code)), std::string::npos);
        }
    }
    EXPECT_TRUE(email_outcome(MailResult{}).ok());
}

std::vector<std::string> errors_of(std::string const& options) {
    auto const f = config::parse_config("notifiers:\n  - name: mail\n    type: email\n" + options,
                                        "/etc/pw.yaml", config::Schema{}, notifier_schema());
    std::vector<std::string> out;
    for (auto const& d : f.diagnostics) {
        out.push_back(d.to_string());
    }
    return out;
}

TEST(EmailOptionsTest, ValidatedWithTheirPlace) {
    std::string const base =
        "    url: smtp://127.0.0.1:587\n    from: pw@example.com\n"
        "    to: ops@example.com\n";
    EXPECT_EQ(errors_of(base), std::vector<std::string>{});
    EXPECT_EQ(
        errors_of(""),
        (std::vector<std::string>{
            "/etc/pw.yaml:2:5: notifiers.mail.url: missing (smtp://HOST:587 or smtps://HOST:465)",
            "/etc/pw.yaml:2:5: notifiers.mail.from: missing (the sender's address)",
            "/etc/pw.yaml:2:5: notifiers.mail.to: missing (one address or a list)"}));
    EXPECT_EQ(errors_of("    url: http://x\n    from: pw@example.com\n    to: [a@b.c, nope]\n"),
              (std::vector<std::string>{
                  "/etc/pw.yaml:4:5: notifiers.mail.url: unsupported scheme 'http' (expected smtp "
                  "or smtps)",
                  "/etc/pw.yaml:6:5: notifiers.mail.to: 'nope' is not an address"}));
    EXPECT_EQ(errors_of(base + "    username: pw\n"),
              std::vector<std::string>{"/etc/pw.yaml:2:5: notifiers.mail.password: missing (give "
                                       "password, password_file or password_env)"});
    EXPECT_EQ(errors_of(base + "    password: s3cret\n"),
              std::vector<std::string>{
                  "/etc/pw.yaml:2:5: notifiers.mail.username: missing (password is given)"});
    EXPECT_EQ(errors_of("    url: smtps://h:465\n    from: pw@example.com\n    to: a@b.c\n"
                        "    starttls: false\n"),
              std::vector<std::string>{"/etc/pw.yaml:7:5: notifiers.mail.starttls: only for "
                                       "smtp:// (smtps:// is TLS from the start)"});
    EXPECT_EQ(
        errors_of(base + "    starttls: maybe\n    subject: '{nme} down'\n"
                         "    ca_file: /nonexistent/ca.pem\n    smtp_host: x\n"),
        (std::vector<std::string>{
            "/etc/pw.yaml:10:5: notifiers.mail.smtp_host: unknown key for type email "
            "(expected one of: name, type, timeout, concurrency, max_age, templates, group, url, "
            "from, to, username, password, password_file, password_env, subject, body, "
            "starttls, tls_verify, ca_file)",
            "/etc/pw.yaml:8:5: notifiers.mail.subject: unknown placeholder {nme}",
            "/etc/pw.yaml:7:5: notifiers.mail.starttls: expected true or false",
            "/etc/pw.yaml:9:5: notifiers.mail.ca_file: cannot read /nonexistent/ca.pem"}));
    EXPECT_EQ(errors_of("    url: 'smtp://u:p@h:99999'\n    from: pw@example.com\n    to: a@b.c\n"),
              std::vector<std::string>{"/etc/pw.yaml:4:5: notifiers.mail.url: credentials in the "
                                       "URL are not allowed (use username and password)"});
    EXPECT_EQ(errors_of("    url: 'smtp://h:99999'\n    from: pw@example.com\n    to: a@b.c\n"),
              std::vector<std::string>{
                  "/etc/pw.yaml:4:5: notifiers.mail.url: bad port (expected 1-65535)"});
    // Clear-text credentials are allowed when asked for, with a warning.
    EXPECT_EQ(errors_of(base + "    username: pw\n    password: s3cret\n    starttls: false\n"),
              std::vector<std::string>{"/etc/pw.yaml:9:5: warning: notifiers.mail.starttls: "
                                       "false: the password goes to the server unencrypted"});
}

TEST_F(EmailTest, MessagePlaceholderInSubjectAndBody) {
    auto const e = down_event();
    EXPECT_EQ(render_email_template("[pw] {message} / {name} {message}", e, "db is down"),
              "[pw] db is down / orders-db db is down");
    // A value that contains "{message}" is not substituted again.
    auto odd = e;
    odd.name = "x{message}y";
    EXPECT_EQ(render_email_template("{name}: {message}", odd, "M"), "x{message}y: M");
    auto content = default_content();
    content.subject = "[pw] {message}";
    content.body = "{message}\n--\n{name} {reason}\n";
    auto const mail = build_email(content, e, "db is down", t0 + 2s);
    EXPECT_NE(mail.find("\r\nSubject: [pw] db is down\r\n"), std::string::npos) << mail;
    EXPECT_NE(mail.find("\r\n\r\ndb is down\r\n--\r\norders-db refused\r\n"), std::string::npos)
        << mail;
    EXPECT_EQ(errors_of("    url: smtp://127.0.0.1:587\n    from: pw@example.com\n"
                        "    to: ops@example.com\n    subject: '[pw] {message}'\n"
                        "    body: '{message} ({name})'\n"),
              std::vector<std::string>{});
}

TEST(EmailOptionsTest, PasswordFromAFileAndPathsFromTheConfigDirectory) {
    test::TempDir dir;
    dir.write("smtp.pass", "s3cret\n");
    dir.write("ca.pem", "not checked here\n");
    auto const file = dir / "pw.yaml";
    auto const f = config::parse_config(
        "notifiers:\n  - name: mail\n    type: email\n    url: smtps://127.0.0.1:465\n"
        "    from: 'portwatch <pw@example.com>'\n    to: [a@example.com, 'B <b@example.com>']\n"
        "    username: pw\n    password_file: smtp.pass\n    ca_file: ca.pem\n"
        "    tls_verify: false\n    subject: '{name}'\n",
        file, config::Schema{}, notifier_schema());
    ASSERT_FALSE(f.has_errors()) << f.diagnostics.at(0).to_string();
    auto const o = email_options(f.config.notifiers.at(0), NotifierContext{.base_dir = dir.path()});
    EXPECT_EQ(o.name, "mail");
    EXPECT_EQ(o.url, "smtps://127.0.0.1:465");
    EXPECT_EQ(o.username, "pw");
    EXPECT_EQ(o.password, "s3cret");
    EXPECT_EQ(o.tls.ca_file, (dir / "ca.pem").string());
    EXPECT_FALSE(o.tls.verify);
    EXPECT_EQ(o.content.from, (Mailbox{"portwatch", "pw@example.com"}));
    EXPECT_EQ(o.content.to, (std::vector<Mailbox>{{"", "a@example.com"}, {"B", "b@example.com"}}));
    EXPECT_EQ(o.content.subject, "{name}");
    EXPECT_TRUE(o.content.body.empty());
    // Secrets never appear in diagnostics.
    auto const bad = config::parse_config(
        "notifiers:\n  - name: mail\n    type: email\n    url: smtp://h\n    from: a@b.c\n"
        "    to: a@b.c\n    password: hunter2\n",
        file, config::Schema{}, notifier_schema());
    ASSERT_TRUE(bad.has_errors());
    for (auto const& d : bad.diagnostics) {
        EXPECT_EQ(d.to_string().find("hunter2"), std::string::npos) << d.to_string();
    }
}

}  // namespace
}  // namespace portwatch::notify
