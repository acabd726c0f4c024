#include "notify/webhook.hpp"

#include <gtest/gtest.h>

#include "notify/error.hpp"
#include "notify/http_receiver.hpp"
#include "notify/kind_support.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::notify {
namespace {

using namespace std::chrono_literals;
using eval::EventKind;
using test::sample;

TEST(WebhookPayload, DefaultBodyIsTheEventAsJson) {
    test::expect_golden("webhook_down.json", webhook_default_body(sample(EventKind::down)));
    test::expect_golden("webhook_up.json", webhook_default_body(sample(EventKind::up)));
}

TEST(WebhookPayload, TemplateValuesAreJsonEscaped) {
    auto const body = render_json_template(
        R"({"t":"{message}","d":"{detail}","env":"{labels.env}","x":"{nope}","p":{port}})",
        sample(EventKind::down));
    EXPECT_EQ(body, R"({"t":"DB \"main\" <primary> & 백업 (db1.example:5432) 장애",)"
                    R"("d":"connect: Connection refused <tcp> & \"retry\"","env":"prod",)"
                    R"("x":"{nope}","p":5432})");
    auto n = sample(EventKind::down);
    n.event.detail = "line1\nline2\ttab\\ \x01";
    EXPECT_EQ(render_json_template("\"{detail}\"", n), R"("line1\nline2\ttab\\ \u0001")");
}

TEST(WebhookPayload, RequestCarriesMethodAndHeaders) {
    auto const r = webhook_request(
        sample(EventKind::up), {.method = "PUT", .headers = {{"X-Token", "abc"}}, .body = "{}"});
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(r.body, "{}");
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[0],
              (std::pair<std::string, std::string>{"Content-Type", "application/json"}));
    auto const own = webhook_request(sample(EventKind::up),
                                     {.headers = {{"content-type", "text/plain"}}, .body = "x"});
    ASSERT_EQ(own.headers.size(), 1u);
    EXPECT_EQ(own.headers[0].second, "text/plain");
}

TEST(WebhookConfig, OptionsAreValidatedWithTheirPlace) {
    EXPECT_EQ(test::errors_of("notifiers:\n  - type: webhook\n    method: GET\n    urll: x\n"),
              (std::vector<std::string>{
                  "/etc/pw.yaml:4:5: notifiers.webhook.urll: unknown key for type webhook "
                  "(expected one of: name, type, timeout, concurrency, max_age, templates, "
                  "method, headers, body, url, url_file, url_env, ca_file, tls_verify)",
                  "/etc/pw.yaml:2:5: notifiers.webhook.url: missing (give url, url_file or "
                  "url_env)",
                  "/etc/pw.yaml:3:5: notifiers.webhook.method: expected POST, PUT or PATCH"}));
    EXPECT_EQ(test::errors_of("notifiers:\n  - type: webhook\n    url: ftp://x\n"
                              "    headers: [a]\n    tls_verify: maybe\n"),
              (std::vector<std::string>{
                  "/etc/pw.yaml:3:5: notifiers.webhook.url: expected an http:// or https:// "
                  "URL",
                  "/etc/pw.yaml:5:5: notifiers.webhook.tls_verify: expected true or false",
                  "/etc/pw.yaml:4:5: notifiers.webhook.headers: expected a mapping NAME: VALUE"}));
    EXPECT_EQ(
        test::errors_of("notifiers:\n  - {type: webhook, url: 'http://h/', ca_file: ca.pem}\n"),
        (std::vector<std::string>{"/etc/pw.yaml:2:39: notifiers.webhook.ca_file: "
                                  "/etc/ca.pem is not a readable file"}));
    EXPECT_EQ(test::errors_of("notifiers:\n  - type: webhook\n    url: http://h/\n"
                              "    headers: {\"Bad Name\": secretvalue}\n"),
              (std::vector<std::string>{"/etc/pw.yaml:4:5: notifiers.webhook.headers: header "
                                        "'Bad Name' has a bad name or value"}));
}

class WebhookDelivery : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(receiver.ok()); }
    DeliveryResult send(std::string const& mode, std::chrono::milliseconds timeout = 10s) {
        auto n = test::make(io, "notifiers:\n  - type: webhook\n    url: " + receiver.url(mode) +
                                    "\n    headers: {Authorization: Bearer s3cr3t-t0ken}\n");
        return test::deliver(io, *n, sample(EventKind::down), timeout);
    }
    boost::asio::io_context io;
    test::HttpReceiver receiver;
};

TEST_F(WebhookDelivery, PostsTheBodyWithItsHeaders) {
    auto n = test::make(
        io, "notifiers:\n  - {type: webhook, method: PUT, url: " + receiver.url("ok/in") +
                ", headers: {X-Api-Key: k1}, body: '{\"m\":\"{message}\"}'}\n");
    auto const r = test::deliver(io, *n, sample(EventKind::up));
    EXPECT_TRUE(r.ok()) << r.detail;
    auto const reqs = receiver.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "PUT");
    EXPECT_EQ(reqs[0].path, "/ok/in");
    EXPECT_EQ(reqs[0].headers.at("x-api-key"), "k1");
    EXPECT_EQ(reqs[0].headers.at("content-type"), "application/json");
    EXPECT_EQ(reqs[0].body, R"({"m":"DB \"main\" <primary> & 백업 (db1.example:5432) 복구"})");
}

TEST_F(WebhookDelivery, OutcomesMapToTypedErrors) {
    auto const ok = send("ok");
    EXPECT_TRUE(ok.ok()) << ok.detail;

    auto const bad = send("bad");
    EXPECT_EQ(bad.error, DeliveryError::rejected);
    EXPECT_EQ(bad.error, DeliveryCondition::permanent);
    EXPECT_EQ(bad.detail, "HTTP status 400: invalid_payload: missing text");

    auto const slow = send("429");
    EXPECT_EQ(slow.error, DeliveryError::rate_limited);
    EXPECT_EQ(slow.error, DeliveryCondition::retryable);
    EXPECT_EQ(slow.retry_after, std::optional(7s));

    auto const err = send("500");
    EXPECT_EQ(err.error, DeliveryError::http_status);
    EXPECT_EQ(err.error, DeliveryCondition::retryable);
    EXPECT_EQ(err.detail, "HTTP status 500: server error");

    auto const closed = send("close");
    EXPECT_EQ(closed.error, DeliveryError::connection_failed);
    EXPECT_EQ(closed.error, DeliveryCondition::retryable);

    auto const hung = send("hang", 300ms);
    EXPECT_EQ(hung.error, DeliveryError::timed_out);
    EXPECT_EQ(hung.error, DeliveryCondition::timeout);

    auto const refused = [&] {
        auto n = test::make(io, "notifiers:\n  - {type: webhook, url: 'http://127.0.0.1:1/'}\n");
        return test::deliver(io, *n, sample(EventKind::down));
    }();
    EXPECT_EQ(refused.error, DeliveryError::connection_failed);
    EXPECT_EQ(receiver.requests().size(), 6u);
}

TEST_F(WebhookDelivery, UrlAndSecretHeaderValuesAreRedacted) {
    auto n = test::make(io, "notifiers:\n  - {type: webhook, url: '" + receiver.url("echo") +
                                "/s3cr3t-t0ken', headers: {Authorization: s3cr3t-t0ken}}\n");
    auto const r = test::deliver(io, *n, sample(EventKind::down));
    EXPECT_EQ(r.error, DeliveryError::rejected);
    EXPECT_EQ(r.detail, "HTTP status 400: <redacted>");  // the URL path and the header value
}

// The binary links OpenSSL statically and libcurl (with its own libssl) dynamically: a
// delivery over HTTPS from the real binary shows the two do not mix.
TEST(WebhookBinary, PortwatchCheckDeliversOverHttpsWithItsCaFile) {
    test::TempDir dir;
    auto const made = test::run_process(
        {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout",
         (dir / "key.pem").string(), "-out", (dir / "cert.pem").string()},
        {.timeout = 30s});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    test::HttpReceiver receiver((dir / "cert.pem").string(), (dir / "key.pem").string());
    ASSERT_TRUE(receiver.ok());
    dir.write("pw.yaml", "notifiers:\n  - {name: hook, type: webhook, url: '" +
                             receiver.url("ok/hook") +
                             "', ca_file: cert.pem}\n"
                             "  - {name: untrusted, type: webhook, url: '" +
                             receiver.url("ok/untrusted") +
                             "'}\n"
                             "targets:\n  - {name: closed, host: 127.0.0.1, port: 1}\n");
    auto const r = test::run_portwatch(
        {"check", "-c", (dir / "pw.yaml").string(), "-s", (dir / "state.json").string()},
        {.cwd = dir.path(), .timeout = 60s});
    auto const log = r.out + r.err;
    EXPECT_NE(log.find("NOTIFY sent via hook"), std::string::npos) << log;
    // The untrusted one failed its certificate check and stays pending.
    EXPECT_NE(log.find("NOTIFY failed via untrusted"), std::string::npos) << log;
    auto const reqs = receiver.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].path, "/ok/hook");
    EXPECT_NE(reqs[0].body.find("\"event\":\"down\""), std::string::npos);
}

}  // namespace
}  // namespace portwatch::notify
