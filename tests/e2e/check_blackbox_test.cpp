// The stream and http kinds against Debian's prometheus-blackbox-exporter: the same targets
// (servers on loopback run by the test) probed by `portwatch check -c --json` and by the
// exporter's tcp (tls, query_response, starttls) and http modules; where the semantics match,
// the verdicts agree, and so do the certificates' notAfter.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "e2e/blackbox_support.hpp"
#include "e2e/e2e_support.hpp"
#include "probe/http_support.hpp"
#include "probe/tls_fixture.hpp"

namespace portwatch::test {
namespace {

TEST(CheckBlackboxAgreement, TlsAndSendExpectVerdictsAndCertificateExpiry) {
    if (!Blackbox::installed()) {
        GTEST_SKIP() << Blackbox::binary << " is not installed";
    }
    SeedDir dir;
    std::filesystem::create_directory(dir / "certs");
    auto const certs = make_test_certs(dir / "certs");
    ASSERT_EQ(certs.error, "");
    StreamServer valid("tls", certs.valid);
    StreamServer soon("tls", certs.soon);
    StreamServer expired("tls", certs.expired);
    StreamServer wrong_host("tls", certs.wrong_host);
    StreamServer untrusted("tls", certs.untrusted);
    // One server per target: portwatch checks a host:port once, whatever its options.
    StreamServer smtp("smtp", certs.valid);
    StreamServer smtp2("smtp", certs.valid);
    StreamServer smtp3("smtp", certs.valid);
    StreamServer redis("redis");
    StreamServer redis2("redis");
    for (auto const* s : {&valid, &soon, &expired, &wrong_host, &untrusted, &smtp, &smtp2, &smtp3,
                          &redis, &redis2}) {
        ASSERT_TRUE(s->ok()) << s->error();
    }
    auto const closed = closed_port();
    auto const ca = certs.ca.string();
    auto const tls = [&](std::uint16_t port) {
        return fmt::format("host: 127.0.0.1, port: {}, kind: tls, tls: {{ca_file: {}}}", port, ca);
    };
    auto const bb_tls = fmt::format(
        "{{prober: tcp, timeout: 3s, tcp: {{preferred_ip_protocol: ip4, tls: true, "
        "tls_config: {{ca_file: {}}}}}}}",
        ca);
    auto const at = [](std::uint16_t port) { return fmt::format("127.0.0.1:{}", port); };
    auto const bb_query = [](std::string const& steps) {
        return fmt::format(
            "{{prober: tcp, timeout: 3s, tcp: {{preferred_ip_protocol: ip4, "
            "query_response: [{}]}}}}",
            steps);
    };
    auto const expect = [&](std::uint16_t port, std::string const& keys) {
        return fmt::format("host: 127.0.0.1, port: {}, {}", port, keys);
    };
    agree(
        dir,
        {
            {"tls_valid", tls(valid.port()), bb_tls, at(valid.port()), true, true},
            {"tls_soon", tls(soon.port()), bb_tls, at(soon.port()), true, true},
            {"tls_expired", tls(expired.port()), bb_tls, at(expired.port()), false},
            {"tls_wrong_host", tls(wrong_host.port()), bb_tls, at(wrong_host.port()), false},
            {"tls_untrusted", tls(untrusted.port()), bb_tls, at(untrusted.port()), false},
            {"tls_closed", tls(closed), bb_tls, at(closed), false},
            {"banner_match", expect(smtp.port(), "expect: '^220'"), bb_query("{expect: '^220'}"),
             at(smtp.port()), true},
            {"banner_mismatch", expect(smtp2.port(), "expect: '^554'"),
             bb_query("{expect: '^554'}"), at(smtp2.port()), false},
            {"send_expect_match", expect(redis.port(), "send: \"PING\\r\\n\", expect: '^\\+PONG'"),
             bb_query("{send: PING}, {expect: '^\\+PONG'}"), at(redis.port()), true},
            {"send_expect_mismatch",
             expect(redis2.port(), "send: \"HELLO\\r\\n\", expect: '^\\+PONG'"),
             bb_query("{send: HELLO}, {expect: '^\\+PONG'}"), at(redis2.port()), false},
            {"starttls_smtp",
             expect(smtp3.port(), fmt::format("starttls: smtp, tls: {{ca_file: {}}}", ca)),
             fmt::format("{{prober: tcp, timeout: 3s, tcp: {{preferred_ip_protocol: ip4, "
                         "tls_config: {{ca_file: {}, server_name: localhost}}, "
                         "query_response: [{{expect: '^220 '}}, {{send: EHLO pw}}, "
                         "{{expect: '^250 STARTTLS'}}, {{send: STARTTLS}}, {{expect: '^220'}}, "
                         "{{starttls: true}}]}}}}",
                         ca),
             at(smtp.port()), true, true},
        });
}

TEST(CheckBlackboxAgreement, HttpStatusBodyRedirectAndHttpsVerdicts) {
    if (!Blackbox::installed()) {
        GTEST_SKIP() << Blackbox::binary << " is not installed";
    }
    SeedDir dir;
    std::filesystem::create_directory(dir / "certs");
    auto const certs = make_test_certs(dir / "certs");
    ASSERT_EQ(certs.error, "");
    // Three plain servers: portwatch checks a URL once, whatever its options.
    probe::http_test::PyServer plain(dir, "plain");
    probe::http_test::PyServer plain2(dir, "plain2");
    probe::http_test::PyServer plain3(dir, "plain3");
    probe::http_test::PyServer secure(dir, "secure", certs.valid.cert, certs.valid.key);
    ASSERT_NE(plain.port(), 0);
    ASSERT_NE(plain2.port(), 0);
    ASSERT_NE(plain3.port(), 0);
    ASSERT_NE(secure.port(), 0);
    auto const ca = certs.ca.string();
    auto const url = [](std::uint16_t port, std::string const& path, bool tls = false) {
        return fmt::format("{}://127.0.0.1:{}{}", tls ? "https" : "http", port, path);
    };
    auto const ours = [](std::string const& u, std::string const& http = "",
                         std::string const& more = "") {
        return fmt::format("kind: http, url: '{}'{}{}", u,
                           http.empty() ? "" : ", http: {" + http + "}", more);
    };
    auto const module = [](std::string const& http = "") {
        return fmt::format("{{prober: http, timeout: 3s, http: {{preferred_ip_protocol: ip4{}}}}}",
                           http.empty() ? "" : ", " + http);
    };
    auto const ca_tls = fmt::format(", tls: {{ca_file: {}}}", ca);
    auto const ca_bb = fmt::format("tls_config: {{ca_file: {}}}", ca);
    auto const p = plain.port();
    auto const p2 = plain2.port();
    auto const p3 = plain3.port();
    auto const s = secure.port();
    auto const gone = fmt::format("/to?{}", closed_port());
    agree(dir, {
                   {"http_200", ours(url(p, "/ok")), module(), url(p, "/ok"), true},
                   {"http_500", ours(url(p, "/fail")), module(), url(p, "/fail"), false},
                   {"http_500_accepted", ours(url(p2, "/fail"), "status: [500]"),
                    module("valid_status_codes: [500]"), url(p2, "/fail"), true},
                   {"http_status_set_miss", ours(url(p2, "/ok"), "status: [204, 404]"),
                    module("valid_status_codes: [204, 404]"), url(p2, "/ok"), false},
                   {"http_body_match", ours(url(p3, "/ok"), "body: '\"status\":\"ok\"'"),
                    module("fail_if_body_not_matches_regexp: ['\"status\":\"ok\"']"),
                    url(p3, "/ok"), true},
                   {"http_body_mismatch", ours(url(p, "/wrong"), "body: '\"status\":\"ok\"'"),
                    module("fail_if_body_not_matches_regexp: ['\"status\":\"ok\"']"),
                    url(p, "/wrong"), false},
                   {"http_redirect_followed", ours(url(p, "/r/2"), "follow_redirects: 3"),
                    module("follow_redirects: true"), url(p, "/r/2"), true},
                   {"http_redirect_not_followed", ours(url(p, "/r/1")),
                    module("follow_redirects: false"), url(p, "/r/1"), false},
                   {"http_redirect_to_closed", ours(url(p, gone), "follow_redirects: 3"),
                    module("follow_redirects: true"), url(p, gone), false},
                   {"https_valid", ours(url(s, "/ok", true), "", ca_tls), module(ca_bb),
                    url(s, "/ok", true), true, true},
                   {"https_untrusted", ours(url(s, "/empty", true)), module(),
                    url(s, "/empty", true), false},
               });
}

}  // namespace
}  // namespace portwatch::test
