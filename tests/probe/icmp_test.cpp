// The icmp kind through the engine: echo to 127.0.0.1 and ::1, over ping and raw sockets,
// silence and a missing permission made in network namespaces of the test's own.
#include "probe/icmp.hpp"

#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "probe/engine.hpp"
#include "probe/registry.hpp"
#include "support/listener.hpp"
#include "support/netns.hpp"
#include "support/process.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;

// Why this process cannot send echo requests at all ("" when it can, by either socket).
std::string icmp_unavailable() {
    for (int const type : {SOCK_DGRAM, SOCK_RAW}) {
        int const fd = ::socket(AF_INET, type | SOCK_CLOEXEC, IPPROTO_ICMP);
        if (fd >= 0) {
            ::close(fd);
            return "";
        }
    }
    return "neither ping sockets (net.ipv4.ping_group_range) nor raw sockets (CAP_NET_RAW)";
}

ProbeRequest icmp(std::string host, std::chrono::milliseconds timeout = 5s,
                  std::vector<std::pair<std::string, std::string>> const& kv = {}) {
    config::OptionBag bag{.file = "t.yaml", .path = "targets[0]"};
    for (auto const& [k, v] : kv) {
        bag.entries.push_back(
            {.key = k, .value = {.type = config::OptionNode::Type::scalar, .scalar = v}});
    }
    config::Diagnostics out;
    auto o = icmp_kind.parse_options(bag, out);
    EXPECT_TRUE(out.empty());
    return {.kind = "icmp", .host = std::move(host), .timeout = timeout, .options = o};
}

bool sysctl(test::NetNs const& ns, std::string const& setting) {
    auto const r = test::run_process({"ip", "netns", "exec", ns.name(), "sysctl", "-qw", setting},
                                     {.timeout = 10s});
    return r.exit_code == 0;
}

// Drops CAP_NET_RAW from the calling thread's effective set (capabilities are per thread).
bool drop_net_raw() {
    __user_cap_header_struct head{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &head, data) != 0) {
        return false;
    }
    data[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
    return ::syscall(SYS_capset, &head, data) == 0;
}

TEST(IcmpKind, LoopbackAnswersOverIpv4AndIpv6) {
    if (auto const why = icmp_unavailable(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    bool const v6 = test::ipv6_loopback_available();
    std::vector<ProbeRequest> reqs{icmp("127.0.0.1")};
    if (v6) {
        reqs.push_back(icmp("::1"));
    }
    auto const r = probe_all(reqs, {});
    EXPECT_TRUE(r[0].up) << r[0].detail;
    EXPECT_EQ(r[0].reason(), "");
    EXPECT_EQ(r[0].address, "127.0.0.1");
    EXPECT_TRUE(r[0].detail.starts_with("icmp echo to 127.0.0.1 (")) << r[0].detail;
    EXPECT_NE(r[0].detail.find(" socket): 1/1 replies, rtt "), std::string::npos) << r[0].detail;
    EXPECT_GT(r[0].latency.count(), 0);
    if (v6) {
        EXPECT_TRUE(r[1].up) << r[1].detail;
        EXPECT_EQ(r[1].address, "::1");
        EXPECT_NE(r[1].detail.find("1/1 replies"), std::string::npos) << r[1].detail;
    }
}

TEST(IcmpKind, CountAndPayloadSize) {
    if (auto const why = icmp_unavailable(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    auto const r = probe_all({icmp("127.0.0.1", 5s, {{"count", "3"}, {"payload_size", "1000"}}),
                              icmp("127.0.0.1", 5s, {{"count", "2"}, {"payload_size", "0"}})},
                             {});
    EXPECT_TRUE(r[0].up) << r[0].detail;
    EXPECT_NE(r[0].detail.find("3/3 replies, rtt min/avg/max "), std::string::npos) << r[0].detail;
    EXPECT_TRUE(r[1].up) << r[1].detail;
    EXPECT_NE(r[1].detail.find("2/2 replies"), std::string::npos) << r[1].detail;
}

// Both socket kinds, chosen by the namespace's ping_group_range (root has CAP_NET_RAW).
TEST(IcmpKind, PingSocketWhereAllowedElseRawSocket) {
    test::NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    }
    ASSERT_TRUE(sysctl(ns, "net.ipv4.ping_group_range=0 2147483647"));
    std::vector<ProbeResult> ping;
    ASSERT_TRUE(ns.run([&] { ping = probe_all({icmp("127.0.0.1"), icmp("::1")}, {}); }));
    EXPECT_TRUE(ping[0].up) << ping[0].detail;
    EXPECT_TRUE(ping[0].detail.starts_with("icmp echo to 127.0.0.1 (ping socket): 1/1 replies"))
        << ping[0].detail;
    EXPECT_TRUE(ping[1].up) << ping[1].detail;
    EXPECT_TRUE(ping[1].detail.starts_with("icmp echo to ::1 (ping socket): 1/1 replies"))
        << ping[1].detail;

    ASSERT_TRUE(sysctl(ns, "net.ipv4.ping_group_range=1 0"));
    std::vector<ProbeResult> raw;
    ASSERT_TRUE(ns.run([&] { raw = probe_all({icmp("127.0.0.1"), icmp("::1")}, {}); }));
    EXPECT_TRUE(raw[0].up) << raw[0].detail;
    EXPECT_TRUE(raw[0].detail.starts_with("icmp echo to 127.0.0.1 (raw socket): 1/1 replies"))
        << raw[0].detail;
    EXPECT_TRUE(raw[1].up) << raw[1].detail;
    EXPECT_TRUE(raw[1].detail.starts_with("icmp echo to ::1 (raw socket): 1/1 replies"))
        << raw[1].detail;
}

TEST(IcmpKind, NoReplyIsIcmpTimeout) {
    test::NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    }
    ASSERT_TRUE(sysctl(ns, "net.ipv4.icmp_echo_ignore_all=1"));
    bool const v6 = sysctl(ns, "net.ipv6.icmp.echo_ignore_all=1");
    std::vector<ProbeResult> r;
    ASSERT_TRUE(ns.run([&] {
        r = probe_all({icmp("127.0.0.1", 300ms, {{"count", "2"}}), icmp("::1", 300ms)}, {});
    }));
    EXPECT_FALSE(r[0].up);
    EXPECT_EQ(r[0].reason(), "icmp-timeout");
    EXPECT_EQ(r[0].error, ProbeCondition::target_failed);
    EXPECT_TRUE(r[0].detail.starts_with("icmp echo to 127.0.0.1 ("));
    EXPECT_TRUE(r[0].detail.ends_with(" socket): no reply within 300 ms (2 sent)")) << r[0].detail;
    if (v6) {
        EXPECT_EQ(r[1].reason(), "icmp-timeout") << r[1].detail;
    }
}

// A local firewall that rejects echo requests: the send fails, or the ICMP error comes back.
TEST(IcmpKind, RejectedEchoIsIcmpUnreachable) {
    test::NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    }
    if (!ns.nft("add table inet pw; add chain inet pw out { type filter hook output priority 0; }; "
                "add rule inet pw out ip daddr 127.0.0.1 icmp type echo-request reject; "
                "add rule inet pw out ip6 daddr ::1 icmpv6 type echo-request reject with icmpv6 "
                "type addr-unreachable")) {
        GTEST_SKIP() << "nft did not work: " << ns.error();
    }
    std::vector<ProbeResult> r;
    ASSERT_TRUE(sysctl(ns, "net.ipv4.ping_group_range=0 2147483647"));
    ASSERT_TRUE(ns.run([&] {
        r.push_back(probe_all({icmp("127.0.0.1")}, {}).at(0));
        r.push_back(probe_all({icmp("::1")}, {}).at(0));
    }));
    ASSERT_TRUE(sysctl(ns, "net.ipv4.ping_group_range=1 0"));
    ASSERT_TRUE(ns.run([&] { r.push_back(probe_all({icmp("127.0.0.1")}, {}).at(0)); }));
    EXPECT_EQ(r[0].reason(), "icmp-unreachable");
    EXPECT_EQ(r[0].detail, "icmp echo to 127.0.0.1 (ping socket): send: Operation not permitted");
    // The ICMPv6 error itself (the kernel lets this echo out, then answers it with the error).
    EXPECT_EQ(r[1].reason(), "icmp-unreachable");
    EXPECT_EQ(r[1].detail, "icmp echo to ::1 (ping socket): receive: No route to host");
    EXPECT_EQ(r[2].reason(), "icmp-unreachable");
    EXPECT_EQ(r[2].detail, "icmp echo to 127.0.0.1 (raw socket): send: Operation not permitted");
}

TEST(IcmpKind, NeitherSocketAllowedIsAPermissionErrorOfThisHost) {
    test::NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    }
    ASSERT_TRUE(sysctl(ns, "net.ipv4.ping_group_range=1 0"));
    ProbeResult r;
    bool dropped = false;
    ASSERT_TRUE(ns.run([&] {
        dropped = drop_net_raw();
        if (dropped) {
            r = probe_all({icmp("127.0.0.1")}, {}).at(0);
        }
    }));
    ASSERT_TRUE(dropped) << "capset failed";
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "icmp-permission");
    EXPECT_TRUE(r.is_local());
    EXPECT_EQ(r.detail,
              "icmp to 127.0.0.1: not permitted: a ping socket needs this process's group within "
              "sysctl net.ipv4.ping_group_range (now \"1 0\"), a raw socket needs CAP_NET_RAW "
              "(setcap cap_net_raw+ep, or AmbientCapabilities=CAP_NET_RAW)");
}

TEST(IcmpKind, OptionsAndNames) {
    config::OptionBag bag{.file = "t.yaml", .path = "targets[1]"};
    bag.entries.push_back({.key = "count",
                           .value = {.type = config::OptionNode::Type::scalar,
                                     .scalar = "0",
                                     .line = 3,
                                     .column = 30},
                           .line = 3,
                           .column = 23});
    bag.entries.push_back({.key = "port_size", .line = 4, .column = 5});
    config::Diagnostics out;
    EXPECT_EQ(icmp_kind.parse_options(bag, out), nullptr);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].to_string(),
              "t.yaml:3:30: targets[1].count: expected an integer from 1 to 100");
    EXPECT_EQ(out[1].to_string(), "t.yaml:4:5: targets[1].port_size: unknown key");
    EXPECT_FALSE(icmp_kind.needs_port());
    for (auto const e : {IcmpError::timeout, IcmpError::unreachable, IcmpError::permission}) {
        std::error_code const ec = e;
        EXPECT_EQ(reason_from_name(reason_name(ec)), ec) << reason_name(ec);
    }
    EXPECT_EQ(std::error_code(IcmpError::permission), ProbeCondition::host_failed);
    EXPECT_EQ(std::error_code(IcmpError::unreachable), ProbeCondition::target_failed);
}

}  // namespace
}  // namespace portwatch::probe
