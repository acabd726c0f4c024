// The dns and icmp kinds against Debian's prometheus-blackbox-exporter: the same targets probed
// by `portwatch check -c --json` and by the exporter's dns and icmp modules agree where the
// semantics match. DNS: the test's responder on loopback (rcodes, answers, silence, TCP, a
// closed port). ICMP: loopback inside a network namespace of the test's own, where one address
// never answers (its echo replies are dropped) and another rejects echo requests.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "e2e/blackbox_support.hpp"
#include "e2e/e2e_support.hpp"
#include "support/dns_responder.hpp"
#include "support/netns.hpp"
#include "support/udp_server.hpp"

namespace portwatch::test {
namespace {

TEST(CheckBlackboxAgreement, DnsRcodesAnswersSilenceTcpAndClosedPort) {
    if (!Blackbox::installed()) {
        GTEST_SKIP() << Blackbox::binary << " is not installed";
    }
    DnsResponder server;
    ASSERT_TRUE(server.ok()) << "the DNS responder did not start";
    auto const closed = closed_udp_port();
    ASSERT_NE(closed, 0);
    // portwatch's `answer` matches each answer's data ("10 mail.test"), the exporter's regexps
    // the whole record ("mx.test.\t60\tIN\tMX\t10 mail.test."): the patterns below are anchored
    // at the end only, so they mean the same to both.
    auto const ours = [](std::uint16_t port, std::string const& dns) {
        return fmt::format("host: 127.0.0.1, port: {}, kind: dns, dns: {{{}}}", port, dns);
    };
    auto const module = [](std::string const& dns) {
        return fmt::format(
            "{{prober: dns, timeout: 3s, dns: {{preferred_ip_protocol: ip4, "
            "ip_protocol_fallback: false, {}}}}}",
            dns);
    };
    auto const udp = [&](std::string const& dns) {
        return module("transport_protocol: udp, " + dns);
    };
    auto const p = server.port();
    auto const at = [](std::uint16_t port) { return fmt::format("127.0.0.1:{}", port); };
    agree(SeedDir{},
          {
              {"dns_a_match", ours(p, "query: ok.test, answer: '127\\.0\\.0\\.11$'"),
               udp("query_name: ok.test, query_type: A, validate_answer_rrs: "
                   "{fail_if_none_matches_regexp: ['127\\.0\\.0\\.11$']}"),
               at(p), true},
              {"dns_a_mismatch", ours(p, "query: wrong.test, answer: '127\\.0\\.0\\.1[01]$'"),
               udp("query_name: wrong.test, query_type: A, validate_answer_rrs: "
                   "{fail_if_none_matches_regexp: ['127\\.0\\.0\\.1[01]$']}"),
               at(p), false},
              {"dns_aaaa", ours(p, "query: ok.test, type: AAAA"),
               udp("query_name: ok.test, query_type: AAAA"), at(p), true},
              {"dns_mx", ours(p, "query: mx.test, type: MX, answer: '10 mail\\.test\\.?$'"),
               udp("query_name: mx.test, query_type: MX, validate_answer_rrs: "
                   "{fail_if_none_matches_regexp: ['10 mail\\.test\\.?$']}"),
               at(p), true},
              {"dns_nxdomain", ours(p, "query: nx.test"), udp("query_name: nx.test"), at(p), false},
              {"dns_nxdomain_expected", ours(p, "query: nx.test, type: AAAA, rcode: NXDOMAIN"),
               udp("query_name: nx.test, query_type: AAAA, valid_rcodes: [NXDOMAIN]"), at(p), true},
              {"dns_servfail", ours(p, "query: servfail.test"), udp("query_name: servfail.test"),
               at(p), false},
              {"dns_silent", ours(p, "query: silent.test"), udp("query_name: silent.test"), at(p),
               false},
              {"dns_tcp", ours(p, "query: alias.test, type: CNAME, tcp: true"),
               module("transport_protocol: tcp, query_name: alias.test, query_type: CNAME"), at(p),
               true},
              {"dns_closed_port", ours(closed, "query: ok.test"), udp("query_name: ok.test"),
               at(closed), false},
          });
    // Both asked the responder: every query above reached it (the silent one included).
    auto const q = server.queries();
    EXPECT_NE(std::find(q.begin(), q.end(), "tcp alias.test"), q.end());
    EXPECT_NE(std::find(q.begin(), q.end(), "udp silent.test"), q.end());
}

TEST(CheckBlackboxAgreement, IcmpEchoDroppedAndRejectedInANamespace) {
    if (!Blackbox::installed()) {
        GTEST_SKIP() << Blackbox::binary << " is not installed";
    }
    NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace here: " << ns.error();
    }
    ASSERT_TRUE(
        ns.nft("add table inet pw; add chain inet pw out { type filter hook output priority 0; }; "
               "add chain inet pw in { type filter hook input priority 0; }; "
               "add rule inet pw in ip saddr 127.0.0.2 icmp type echo-reply drop; "
               "add rule inet pw out ip daddr 127.0.0.3 icmp type echo-request reject"))
        << ns.error();
    auto const ours = [](std::string const& host) {
        return fmt::format("host: '{}', kind: icmp", host);
    };
    auto const module = [](std::string const& ip) {
        return fmt::format("{{prober: icmp, timeout: 3s, icmp: {{preferred_ip_protocol: {}}}}}",
                           ip);
    };
    agree(SeedDir{},
          {
              {"icmp_v4", ours("127.0.0.1"), module("ip4"), "127.0.0.1", true},
              {"icmp_v6", ours("::1"), module("ip6"), "::1", true},
              {"icmp_dropped", ours("127.0.0.2"), module("ip4"), "127.0.0.2", false},
              {"icmp_rejected", ours("127.0.0.3"), module("ip4"), "127.0.0.3", false},
          },
          {"/usr/sbin/ip", "netns", "exec", ns.name()});
}

}  // namespace
}  // namespace portwatch::test
