// `portwatch check -c --json` end to end with the datagram kinds: udp, icmp and dns targets
// against servers on loopback run by the test.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <filesystem>
#include <map>
#include <optional>

#include "e2e/blackbox_support.hpp"
#include "e2e/e2e_support.hpp"
#include "support/background_process.hpp"
#include "support/dns_responder.hpp"
#include "support/udp_server.hpp"

namespace portwatch::test {
namespace {

using nlohmann::json;

TEST(CheckDatagramKinds, UdpIcmpAndDnsTargetsInTheJsonReport) {
    SeedDir dir;
    UdpServer echo("127.0.0.1", udp_echo());
    ASSERT_TRUE(echo.ok());
    auto const closed = closed_udp_port();
    DnsResponder dns;
    ASSERT_TRUE(dns.ok());
    dir.write(
        "portwatch.yaml",
        fmt::format(
            "defaults: {{timeout: 2s}}\n"
            "targets:\n"
            "  - {{name: echo, host: 127.0.0.1, port: {0}, kind: udp, send: \"PING\\r\\n\","
            " expect: '^PING'}}\n"
            "  - {{name: closed, host: 127.0.0.1, port: {1}, kind: udp, send_hex: '1b00'}}\n"
            "  - {{name: lo, host: 127.0.0.1, kind: icmp, count: 2}}\n"
            "  - {{name: resolver, host: 127.0.0.1, port: {2}, kind: dns,\n"
            "     dns: {{query: ok.test, type: A, answer: '^127\\.0\\.0\\.10$'}}}}\n"
            "  - {{name: nx, host: 127.0.0.1, port: {2}, kind: dns, dns: {{query: nx.test}}}}\n"
            "store: json:{3}\n",
            echo.port(), closed, dns.port(), (dir / "state.json").string()));
    auto const r = dir.check({"-c", (dir / "portwatch.yaml").string(), "--json"});
    ASSERT_LE(r.exit_code, 3) << r.err;
    auto const report = json::parse(r.out);
    std::map<std::string, json> by_key;
    for (auto const& t : report["targets"]) {
        by_key[t["key"].get<std::string>()] = t;
    }
    auto const udp_up = by_key[fmt::format("udp://127.0.0.1:{}", echo.port())];
    EXPECT_EQ(udp_up["status"], "UP") << udp_up.dump();
    auto const udp_down = by_key[fmt::format("udp://127.0.0.1:{}", closed)];
    EXPECT_EQ(udp_down["status"], "DOWN") << udp_down.dump();
    EXPECT_EQ(udp_down["reason"], "refused");
    auto const icmp = by_key["icmp://127.0.0.1"];
    EXPECT_EQ(icmp["status"], "UP") << icmp.dump();
    EXPECT_NE(icmp["detail"].get<std::string>().find("2/2 replies"), std::string::npos);
    auto const ok = by_key[fmt::format("dns://127.0.0.1:{}/ok.test/A", dns.port())];
    EXPECT_EQ(ok["status"], "UP") << ok.dump();
    auto const nx = by_key[fmt::format("dns://127.0.0.1:{}/nx.test/A", dns.port())];
    EXPECT_EQ(nx["status"], "DOWN") << nx.dump();
    EXPECT_EQ(nx["reason"], "dns-rcode");
    EXPECT_NE(nx["detail"].get<std::string>().find("rcode NXDOMAIN"), std::string::npos);
    EXPECT_EQ(by_key.size(), 5u) << r.out;

    // The two failures were announced with their reasons.
    auto const calls = dir.calls();
    ASSERT_EQ(calls.size(), 2u) << r.out << r.err;
    std::vector<std::string> reasons{calls[0].reason, calls[1].reason};
    std::sort(reasons.begin(), reasons.end());
    EXPECT_EQ(reasons, (std::vector<std::string>{"dns-rcode", "refused"}));
}

// The same icmp and dns checks by portwatch and by Debian's prometheus-blackbox-exporter:
// where their semantics match, their verdicts agree.
TEST(CheckDatagramKinds, VerdictsAgreeWithBlackboxExporter) {
    if (!Blackbox::installed()) {
        GTEST_SKIP() << Blackbox::binary << " is not installed";
    }
    SeedDir dir;
    DnsResponder dns;
    ASSERT_TRUE(dns.ok());
    // One query, its type, what each checks beyond the rcode NOERROR, and the verdict. blackbox
    // matches its regexes against whole records ("ok.test.\t60\tIN\tA\t127.0.0.10").
    struct Case {
        std::string query;
        std::string type;
        std::string blackbox;   // more keys of blackbox's `dns:` module
        std::string portwatch;  // more keys of portwatch's `dns:` option
        bool up;
    };
    std::vector<Case> const cases{
        {"ok.test", "A",
         "validate_answer_rrs: {fail_if_none_matches_regexp: ['\\t127\\.0\\.0\\.11$']}",
         "answer: '^127\\.0\\.0\\.11$'", true},
        {"wrong.test", "A",
         "validate_answer_rrs: {fail_if_none_matches_regexp: ['\\t127\\.0\\.0\\.1']}",
         "answer: '^127\\.0\\.0\\.1'", false},
        {"nx.test", "A", "", "", false},
        {"nx.test", "AAAA", "valid_rcodes: [NXDOMAIN]", "rcode: NXDOMAIN", true},
        {"servfail.test", "A", "", "", false},
        {"ok.test", "MX", "", "", true},
        {"silent.test", "A", "", "", false},
    };
    std::string modules =
        "modules:\n  icmp: {prober: icmp, timeout: 2s, icmp: {preferred_ip_protocol: ip4}}\n";
    std::string targets =
        "defaults: {timeout: 2s}\ntargets:\n  - {name: lo, host: 127.0.0.1, kind: icmp}\n";
    for (std::size_t i = 0; i < cases.size(); ++i) {
        auto const& c = cases[i];
        modules += fmt::format(
            "  dns{}: {{prober: dns, timeout: 2s, dns: {{preferred_ip_protocol: ip4, "
            "transport_protocol: udp, query_name: {}, query_type: {}, {}}}}}\n",
            i, c.query, c.type, c.blackbox);
        targets += fmt::format(
            "  - {{name: d{}, host: 127.0.0.1, port: {}, kind: dns,\n"
            "     dns: {{query: {}, type: {}, {}}}}}\n",
            i, dns.port(), c.query, c.type, c.portwatch);
    }
    dir.write("portwatch.yaml",
              targets + fmt::format("store: json:{}\n", (dir / "s.json").string()));
    Blackbox bb(dir, modules);
    ASSERT_TRUE(bb.ready()) << bb.log();

    auto const r = dir.check({"-c", (dir / "portwatch.yaml").string(), "--json"});
    ASSERT_LE(r.exit_code, 3) << r.err;
    std::map<std::string, bool> ours;
    auto const report = json::parse(r.out);
    for (auto const& t : report["targets"]) {
        ours[t["key"].get<std::string>()] = t["status"] == "UP";
    }
    EXPECT_EQ(bb.success("icmp", "127.0.0.1"), true);
    EXPECT_EQ(ours["icmp://127.0.0.1"], true);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        auto const theirs =
            bb.success(fmt::format("dns{}", i), fmt::format("127.0.0.1:{}", dns.port()));
        auto const key =
            fmt::format("dns://127.0.0.1:{}/{}/{}", dns.port(), cases[i].query, cases[i].type);
        ASSERT_EQ(ours.count(key), 1u) << key << "\n" << r.out;
        EXPECT_EQ(theirs, cases[i].up) << key << "\n" << bb.log();
        EXPECT_EQ(ours[key], cases[i].up) << key;
    }
}

// `portwatch run` stopped (SIGTERM) while udp and dns probes to a server that reads and never
// answers are in flight, with a 60 s probe timeout: once the shutdown grace (1 s) is over, the
// engine cancels them and the process exits, well before their timeout (bounded wait: 20 s).
TEST(RunDatagramKinds, SigtermCancelsInFlightDatagramProbes) {
    SeedDir dir;
    UdpServer silent("127.0.0.1", [](std::size_t, std::string const&) { return std::nullopt; });
    ASSERT_TRUE(silent.ok());
    dir.write("portwatch.yaml",
              fmt::format("defaults: {{interval: 2s, timeout: 60s}}\n"
                          "shutdown_grace: 1s\n"
                          "targets:\n"
                          "  - {{name: u, host: 127.0.0.1, port: {0}, kind: udp, send: q}}\n"
                          "  - {{name: d, host: 127.0.0.1, port: {0}, kind: dns,"
                          " dns: {{query: a.test}}}}\n"
                          "store: json:{1}\n",
                          silent.port(), (dir / "state.json").string()));
    BackgroundProcess d({portwatch_binary(), "run", "-c", (dir / "portwatch.yaml").string()},
                        dir.path(), {}, dir / "daemon.log");
    ASSERT_TRUE(poll_until([&] { return silent.received() >= 2; }, std::chrono::seconds(10)))
        << dir.read("daemon.log");
    d.signal(SIGTERM);
    auto const code = d.wait(std::chrono::seconds(20));
    ASSERT_TRUE(code.has_value()) << "still running 20 s after SIGTERM\n" << dir.read("daemon.log");
    EXPECT_EQ(*code, 0) << dir.read("daemon.log");
}

TEST(CheckDatagramKinds, OptionErrorsNameFileLineAndColumn) {
    SeedDir dir;
    dir.write("portwatch.yaml",
              "targets:\n"
              "  - {name: r, host: 127.0.0.1, kind: dns, dns: {type: AXFR}}\n"
              "  - {name: u, host: 127.0.0.1, port: 7, kind: udp, send: '\\q'}\n"
              "  - {name: i, host: 127.0.0.1, kind: icmp, count: 0}\n");
    auto const cfg = (dir / "portwatch.yaml").string();
    auto const r = dir.check({"-c", cfg});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(cfg + ":2:55: targets[0].dns.type: expected A, AAAA"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(cfg + ":2:43: targets[0].dns: missing query"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(cfg + ":3:52: targets[1].send: bad escape"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(cfg + ":4:51: targets[2].count: expected an integer from 1 to 100"),
              std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace portwatch::test
