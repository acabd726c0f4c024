// The dns kind through the engine, against a DNS responder on loopback run by the test.
#include "probe/dns.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "probe/dns_reply.hpp"
#include "probe/engine.hpp"
#include "probe/registry.hpp"
#include "support/dns_responder.hpp"
#include "support/udp_server.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

config::OptionBag dns_bag(KeyValues const& kv) {
    config::OptionNode map{.type = config::OptionNode::Type::map, .line = 2, .column = 10};
    int column = 11;
    for (auto const& [k, v] : kv) {
        map.entries.push_back({.key = k,
                               .value = {.type = config::OptionNode::Type::scalar,
                                         .scalar = v,
                                         .line = 2,
                                         .column = column + 7},
                               .line = 2,
                               .column = column});
        column += 20;
    }
    config::OptionBag bag{.file = "t.yaml", .path = "targets[0]"};
    bag.entries.push_back({.key = "dns", .value = map, .line = 2, .column = 5});
    return bag;
}

ProbeRequest dns(std::uint16_t port, KeyValues const& kv, std::chrono::milliseconds timeout = 5s) {
    config::Diagnostics out;
    auto o = dns_kind.parse_options(dns_bag(kv), out);
    EXPECT_TRUE(out.empty()) << out.front().to_string();
    return {.kind = "dns", .host = "127.0.0.1", .port = port, .timeout = timeout, .options = o};
}

class DnsKindTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(server.ok()) << "the DNS responder did not start"; }
    std::string at() const { return " at 127.0.0.1:" + std::to_string(server.port()); }
    std::size_t count(std::string const& line) const {
        auto const q = server.queries();
        return static_cast<std::size_t>(std::count(q.begin(), q.end(), line));
    }
    test::DnsResponder server;
};

TEST_F(DnsKindTest, AnswerMatchesUpElseDnsAnswer) {
    auto const r =
        probe_all({dns(server.port(), {{"query", "ok.test"}, {"answer", "^127\\.0\\.0\\.11$"}}),
                   dns(server.port(), {{"query", "wrong.test"}, {"answer", "^127\\.0\\.0\\.1"}}),
                   dns(server.port(), {{"query", "wrong.test"}})},
                  {});
    EXPECT_TRUE(r[0].up) << r[0].detail;
    EXPECT_EQ(r[0].address, "127.0.0.1");
    EXPECT_EQ(r[0].detail,
              "dns ok.test A" + at() + ": NOERROR, 2 A answer(s): 127.0.0.10, 127.0.0.11");
    EXPECT_FALSE(r[1].up);
    EXPECT_EQ(r[1].reason(), "dns-answer");
    EXPECT_EQ(r[1].error, ProbeCondition::target_failed);
    EXPECT_EQ(r[1].detail, "dns wrong.test A" + at() +
                               ": NOERROR, 1 A answer(s): 127.0.0.99; none matches "
                               "'^127\\.0\\.0\\.1'");
    EXPECT_TRUE(r[2].up) << r[2].detail;  // without `answer`, any NOERROR reply
}

TEST_F(DnsKindTest, RcodeIsChecked) {
    auto const r = probe_all({dns(server.port(), {{"query", "nx.test"}}),
                              dns(server.port(), {{"query", "nx.test"}, {"rcode", "NXDOMAIN"}}),
                              dns(server.port(), {{"query", "servfail.test"}})},
                             {});
    EXPECT_FALSE(r[0].up);
    EXPECT_EQ(r[0].reason(), "dns-rcode");
    EXPECT_EQ(r[0].detail, "dns nx.test A" + at() + ": rcode NXDOMAIN, expected NOERROR");
    EXPECT_TRUE(r[1].up) << r[1].detail;
    EXPECT_EQ(r[1].detail, "dns nx.test A" + at() + ": NXDOMAIN, 0 A answer(s)");
    EXPECT_EQ(r[2].reason(), "dns-rcode");
    EXPECT_EQ(r[2].detail, "dns servfail.test A" + at() + ": rcode SERVFAIL, expected NOERROR");
}

TEST_F(DnsKindTest, SilenceIsDnsTimeout) {
    auto const r = probe_all({dns(server.port(), {{"query", "silent.test"}}, 500ms)}, {}).at(0);
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.error, ProbeError::dns_timeout);
    EXPECT_EQ(r.reason(), "dns-timeout");
    EXPECT_EQ(r.detail, "dns silent.test A" + at() + ": no answer within 500 ms");
    EXPECT_GE(count("udp silent.test"), 1u);
}

TEST_F(DnsKindTest, TruncatedReplyIsRetriedOverTcp) {
    auto const r =
        probe_all({dns(server.port(), {{"query", "big.test"}, {"answer", "^127\\.0\\.0\\.42$"}})},
                  {})
            .at(0);
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(count("udp big.test"), 1u);
    EXPECT_EQ(count("tcp big.test"), 1u);
}

TEST_F(DnsKindTest, TcpOnlyWhenAsked) {
    auto const r = probe_all({dns(server.port(), {{"query", "ok.test"}, {"tcp", "true"}})}, {});
    EXPECT_TRUE(r[0].up) << r[0].detail;
    EXPECT_EQ(count("tcp ok.test"), 1u);
    EXPECT_EQ(count("udp ok.test"), 0u);
}

TEST_F(DnsKindTest, EveryTypeRendersItsAnswers) {
    struct Case {
        std::string query;
        std::string type;
        std::string answers;
    };
    std::vector<Case> const cases{
        {"ok.test", "AAAA", "1 AAAA answer(s): ::1"},
        {"alias.test", "A", "1 A answer(s): 127.0.0.10"},
        {"alias.test", "CNAME", "1 CNAME answer(s): ok.test"},
        {"mx.test", "MX", "1 MX answer(s): 10 mail.test"},
        {"txt.test", "TXT", "1 TXT answer(s): v=spf1 -all"},
        {"srv.test", "SRV", "1 SRV answer(s): 1 5 8080 svc.test"},
        {"soa.test", "SOA", "1 SOA answer(s): ns.test admin.test 2026120501 3600 600 86400 60"},
        {"1.0.0.127.in-addr.arpa", "PTR", "1 PTR answer(s): localhost.test"},
    };
    std::vector<ProbeRequest> reqs;
    for (auto const& c : cases) {
        reqs.push_back(dns(server.port(), {{"query", c.query}, {"type", c.type}}));
    }
    auto const r = probe_all(reqs, {});
    for (std::size_t i = 0; i < cases.size(); ++i) {
        EXPECT_TRUE(r[i].up) << r[i].detail;
        EXPECT_EQ(r[i].detail, "dns " + cases[i].query + " " + cases[i].type + at() +
                                   ": NOERROR, " + cases[i].answers);
    }
}

TEST_F(DnsKindTest, TypeAndRcodeInAnyCaseAndPtrOfAnAddress) {
    auto const r = probe_all(
        {dns(server.port(), {{"query", "127.0.0.1"}, {"type", "ptr"}}),
         dns(server.port(), {{"query", "nx.test"}, {"type", "aaaa"}, {"rcode", "nxdomain"}})},
        {});
    EXPECT_TRUE(r[0].up) << r[0].detail;
    EXPECT_EQ(r[0].detail, "dns 1.0.0.127.in-addr.arpa PTR" + at() +
                               ": NOERROR, 1 PTR answer(s): localhost.test");
    EXPECT_TRUE(r[1].up) << r[1].detail;
    EXPECT_EQ(dns::reverse_name("2001:db8::1"),
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    EXPECT_EQ(dns::reverse_name("example.com"), std::nullopt);
}

TEST(DnsKind, ClosedPortIsRefused) {
    auto const closed = test::closed_udp_port();
    auto const r = probe_all({dns(closed, {{"query", "ok.test"}}, 2s)}, {}).at(0);
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "refused") << r.detail;
    EXPECT_EQ(r.detail,
              "dns ok.test A at 127.0.0.1:" + std::to_string(closed) + ": connection refused");
}

TEST(DnsKind, TargetKeyHoldsQueryAndTypeAndPortDefaultsTo53) {
    config::Target t{.host = "127.0.0.1", .kind = "dns"};
    dns_kind.complete_target(dns_bag({{"query", "example.com"}, {"type", "mx"}}), t);
    EXPECT_EQ(t.port, 53);
    EXPECT_EQ(t.key(), "dns://127.0.0.1:53/example.com/MX");
    config::Target six{.host = "::1", .port = 5353, .kind = "dns"};
    dns_kind.complete_target(dns_bag({{"query", "a.test"}}), six);
    EXPECT_EQ(six.key(), "dns://[::1]:5353/a.test/A");
}

TEST(DnsKind, OptionErrorsCarryTheirPosition) {
    config::Diagnostics out;
    auto bag = dns_bag(
        {{"type", "AXFR"}, {"rcode", "MAYBE"}, {"answer", "(("}, {"tcp", "sometimes"}, {"x", "1"}});
    bag.entries.push_back({.key = "send", .line = 3, .column = 5});
    EXPECT_EQ(dns_kind.parse_options(bag, out), nullptr);
    std::vector<std::string> got;
    for (auto const& d : out) {
        got.push_back(d.to_string());
    }
    ASSERT_EQ(got.size(), 7u) << ::testing::PrintToString(got);
    EXPECT_EQ(got[0], "t.yaml:3:5: targets[0].send: unknown key");
    EXPECT_EQ(got[1],
              "t.yaml:2:18: targets[0].dns.type: expected A, AAAA, CNAME, MX, TXT, NS, SOA, PTR "
              "or SRV");
    EXPECT_EQ(got[2],
              "t.yaml:2:38: targets[0].dns.rcode: expected an rcode name such as NOERROR or "
              "NXDOMAIN");
    EXPECT_TRUE(got[3].starts_with("t.yaml:2:58: targets[0].dns.answer: bad regular expression"));
    EXPECT_EQ(got[4], "t.yaml:2:78: targets[0].dns.tcp: expected true or false");
    EXPECT_EQ(got[5], "t.yaml:2:98: targets[0].dns.x: unknown key");
    EXPECT_EQ(got[6], "t.yaml:2:5: targets[0].dns: missing query");
}

TEST(DnsKind, ReasonNamesRoundTrip) {
    for (auto const e : {DnsError::rcode, DnsError::answer}) {
        std::error_code const ec = e;
        EXPECT_EQ(reason_from_name(reason_name(ec)), ec) << reason_name(ec);
    }
    EXPECT_EQ(reason_name(DnsError::rcode), "dns-rcode");
    EXPECT_EQ(reason_name(DnsError::answer), "dns-answer");
}

}  // namespace
}  // namespace portwatch::probe
