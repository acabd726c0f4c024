// `portwatch check -c --json` with stream kinds: a tls target (valid, expired, closed port)
// and a tcp target with expect, against servers on loopback; config errors with their place.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.hpp"
#include "probe/tls_fixture.hpp"

namespace portwatch::test {
namespace {

using nlohmann::json;

TEST(CheckStreamKinds, JsonReportGivesVerdictsReasonsAndCertificateExpiry) {
    SeedDir dir;
    std::filesystem::create_directory(dir / "certs");
    auto const certs = make_test_certs(dir / "certs");
    ASSERT_EQ(certs.error, "");
    StreamServer valid("tls", certs.valid);
    StreamServer expired("tls", certs.expired);
    StreamServer banner("banner");
    StreamServer mail("smtp", certs.soon);
    ASSERT_TRUE(mail.ok()) << mail.error();
    ASSERT_TRUE(valid.ok()) << valid.error();
    ASSERT_TRUE(expired.ok()) << expired.error();
    ASSERT_TRUE(banner.ok()) << banner.error();
    auto const closed = closed_port();
    dir.write("portwatch.yaml",
              fmt::format("defaults: {{timeout: 5s}}\n"
                          "targets:\n"
                          "  - {{name: cert, host: 127.0.0.1, port: {}, kind: tls,\n"
                          "     tls: {{ca_file: certs/ca.pem, expiry_warn: 14d}}}}\n"
                          "  - {{name: old, host: localhost, port: {}, kind: tls,\n"
                          "     tls: {{ca_file: certs/ca.pem}}}}\n"
                          "  - {{name: ssh, host: 127.0.0.1, port: {}, expect: '^SSH-2\\.0-'}}\n"
                          "  - {{name: shut, host: 127.0.0.1, port: {}, kind: tls}}\n"
                          "  - {{name: mail, host: localhost, port: {}, starttls: smtp,\n"
                          "     tls: {{ca_file: certs/ca.pem, expiry_warn: 21d}}}}\n",
                          valid.port(), expired.port(), banner.port(), closed, mail.port()));
    auto const r = dir.check({"-c", (dir / "portwatch.yaml").string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto const report = json::parse(r.out);
    auto const& t = report["targets"];
    ASSERT_EQ(t.size(), 5u) << r.out;

    EXPECT_EQ(t[0]["key"], fmt::format("tls://127.0.0.1:{}", valid.port()));
    EXPECT_EQ(t[0]["status"], "UP") << t[0].dump();
    EXPECT_EQ(t[0]["cert_not_after"], not_after_of(certs.valid.cert));
    EXPECT_EQ(t[0]["tls_version"], "TLSv1.3");

    EXPECT_EQ(t[1]["status"], "DOWN");
    EXPECT_EQ(t[1]["reason"], "cert-expired") << t[1].dump();
    EXPECT_EQ(t[1]["cert_not_after"], not_after_of(certs.expired.cert));

    EXPECT_EQ(t[2]["key"], fmt::format("127.0.0.1:{}", banner.port()));
    EXPECT_EQ(t[2]["status"], "UP") << t[2].dump();
    EXPECT_FALSE(t[2].contains("cert_not_after"));

    EXPECT_EQ(t[3]["status"], "DOWN");
    EXPECT_EQ(t[3]["reason"], "refused") << t[3].dump();
    EXPECT_FALSE(t[3].contains("cert_not_after"));

    EXPECT_EQ(t[4]["key"], fmt::format("localhost:{}", mail.port()));
    EXPECT_EQ(t[4]["status"], "UP") << t[4].dump();
    EXPECT_EQ(t[4]["cert_not_after"], not_after_of(certs.soon.cert));

    // The failures were announced with their reasons, and the certificate that expires in 5
    // days (within the mail target's expiry_warn of 21 days) with a warning in the seed's
    // style; the valid one (within 14 days? no: it has a year) says nothing.
    auto const calls = dir.calls();
    ASSERT_EQ(calls.size(), 3u) << r.out;
    std::vector<std::string> reasons;
    std::string warning;
    for (auto const& c : calls) {
        if (c.event == "cert-expiring") {
            warning = c.args.back();
        } else {
            reasons.push_back(c.reason);
        }
    }
    std::sort(reasons.begin(), reasons.end());
    EXPECT_EQ(reasons, (std::vector<std::string>{"cert-expired", "refused"}));
    // 4 or 5 whole days left, as the second of the check falls.
    auto const prefix = fmt::format("localhost:{} 인증서 만료 임박 ", mail.port());
    EXPECT_EQ(warning.rfind(prefix, 0), 0u) << warning;
    EXPECT_TRUE(warning.find(prefix + "4일 (") == 0 || warning.find(prefix + "5일 (") == 0)
        << warning;

    // The next run says nothing more of it (no remind_every), and the state remembers it.
    auto const again = dir.check({"-c", (dir / "portwatch.yaml").string()});
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_EQ(dir.calls().size(), 3u);
}

TEST(CheckStreamKinds, BadOptionsAreConfigErrorsWithTheirPlace) {
    SeedDir dir;
    dir.write("portwatch.yaml",
              "targets:\n"
              "  - {name: a, host: 127.0.0.1, port: 22, expect: '(ssh'}\n"
              "  - {name: b, host: 127.0.0.1, port: 443, kind: tls, tls: {verify: maybe}}\n"
              "  - {name: c, host: 127.0.0.1, port: 25, starttls: lmtp}\n");
    auto const r = run_portwatch({"validate", "-c", (dir / "portwatch.yaml").string()});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("portwatch.yaml:2:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("targets[0].expect: bad regular expression"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("targets[1].tls.verify: expected true or false, got 'maybe'"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("targets[2].starttls: unknown protocol 'lmtp'"), std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace portwatch::test
