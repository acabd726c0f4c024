// The udp kind through the engine, against UDP servers on loopback run by the test.
#include "probe/udp.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "probe/engine.hpp"
#include "probe/registry.hpp"
#include "support/background_process.hpp"
#include "support/listener.hpp"
#include "support/udp_server.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
using test::closed_udp_port;
using test::UdpServer;

config::OptionBag bag(std::vector<std::pair<std::string, std::string>> const& kv) {
    config::OptionBag b{.file = "t.yaml", .path = "targets[0]"};
    int line = 1;
    for (auto const& [k, v] : kv) {
        b.entries.push_back({.key = k,
                             .value = {.type = config::OptionNode::Type::scalar,
                                       .scalar = v,
                                       .line = line,
                                       .column = 20},
                             .line = line,
                             .column = 5});
        ++line;
    }
    return b;
}

ProbeRequest udp(std::uint16_t port, std::vector<std::pair<std::string, std::string>> const& kv,
                 std::chrono::milliseconds timeout = 5s, std::string host = "127.0.0.1") {
    config::Diagnostics out;
    auto o = udp_kind.parse_options(bag(kv), out);
    EXPECT_TRUE(out.empty()) << out.front().to_string();
    return {.kind = "udp", .host = std::move(host), .port = port, .timeout = timeout, .options = o};
}

ProbeResult probe_one(ProbeRequest r) {
    return probe_all({std::move(r)}, {}).at(0);
}

UdpServer::Reply echo() {
    return [](std::size_t, std::string const& got) { return got; };
}

TEST(UdpKind, EchoMatchesExpect) {
    UdpServer server("127.0.0.1", echo());
    ASSERT_TRUE(server.ok());
    auto const r =
        probe_one(udp(server.port(), {{"send", "PING\\r\\n"}, {"expect", "^PING\\r\\n"}}));
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.reason(), "");
    EXPECT_EQ(r.address, "127.0.0.1");
    EXPECT_EQ(r.detail, "udp reply from 127.0.0.1:" + std::to_string(server.port()) + ": 6 bytes");
    EXPECT_EQ(server.received(), 1u);
}

TEST(UdpKind, HexSendAndHexPrefix) {
    UdpServer server("127.0.0.1", [](std::size_t, std::string const& got) {
        return got == std::string("\x1b\x00\xff", 3) ? std::string("\x1c\x01rest", 6) : "no";
    });
    ASSERT_TRUE(server.ok());
    auto const r =
        probe_all({udp(server.port(), {{"send_hex", "1b 00 ff"}, {"expect_hex", "1c01"}}),
                   udp(server.port(), {{"send_hex", "1b00ff"}, {"expect_hex", "1c02"}})},
                  {});
    EXPECT_TRUE(r[0].up) << r[0].detail;
    EXPECT_FALSE(r[1].up);
    EXPECT_EQ(r[1].reason(), "udp-mismatch");
    EXPECT_EQ(r[1].error, ProbeCondition::target_failed);
    EXPECT_NE(r[1].detail.find("does not match: \"\\x1c\\x01rest\" (6 bytes)"), std::string::npos)
        << r[1].detail;
}

TEST(UdpKind, ClosedPortIsRefused) {
    auto const port = closed_udp_port();
    ASSERT_NE(port, 0);
    auto const r = probe_one(udp(port, {{"send", "x"}}));
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.error, ProbeError::refused);
    EXPECT_EQ(r.reason(), "refused");
    EXPECT_EQ(r.detail,
              "udp to 127.0.0.1:" + std::to_string(port) + ": receive: Connection refused");
}

TEST(UdpKind, WrongReplyIsMismatchWithEscapedBoundedBytes) {
    std::string const long_reply = "BAD\r\n\x01" + std::string(300, 'z');
    UdpServer server("127.0.0.1", [&](std::size_t, std::string const&) { return long_reply; });
    ASSERT_TRUE(server.ok());
    auto const r = probe_one(udp(server.port(), {{"send", "hello"}, {"expect", "^OK"}}));
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "udp-mismatch");
    EXPECT_EQ(r.detail, "udp reply from 127.0.0.1:" + std::to_string(server.port()) +
                            " does not match: \"BAD\\r\\n\\x01" + std::string(122, 'z') +
                            "...\" (306 bytes)");
    EXPECT_EQ(server.received(), 1u);  // a wrong reply ends the probe: no resend
}

TEST(UdpKind, SilenceIsTimeoutAfterEveryRetry) {
    UdpServer server("127.0.0.1", [](std::size_t, std::string const&) { return std::nullopt; });
    ASSERT_TRUE(server.ok());
    auto const r = probe_one(udp(server.port(), {{"send", "q"}, {"retries", "2"}}, 600ms));
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "udp-timeout");
    EXPECT_EQ(r.detail, "udp to 127.0.0.1:" + std::to_string(server.port()) +
                            ": no reply within 600 ms (3 datagrams sent)");
    EXPECT_TRUE(test::poll_until([&] { return server.received() == 3; }, 5s)) << server.received();
}

TEST(UdpKind, ResendRecoversALostDatagram) {
    UdpServer server("127.0.0.1", [](std::size_t i, std::string const& got) {
        return i == 0 ? std::nullopt : std::optional<std::string>(got);
    });
    ASSERT_TRUE(server.ok());
    auto const r = probe_one(udp(server.port(), {{"send", "again"}, {"retries", "3"}}, 2s));
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(server.received(), 2u);
}

TEST(UdpKind, Ipv6EchoAndRefused) {
    if (!test::ipv6_loopback_available()) {
        GTEST_SKIP() << "no IPv6 loopback";
    }
    UdpServer server("::1", echo());
    ASSERT_TRUE(server.ok());
    std::uint16_t closed = 0;
    {
        UdpServer gone("::1", [](std::size_t, std::string const&) { return std::nullopt; });
        closed = gone.port();
    }
    auto const r = probe_all({udp(server.port(), {{"send", "six"}, {"expect", "six"}}, 5s, "::1"),
                              udp(closed, {{"send", "six"}}, 5s, "::1")},
                             {});
    EXPECT_TRUE(r[0].up) << r[0].detail;
    EXPECT_EQ(r[0].address, "::1");
    EXPECT_EQ(r[1].reason(), "refused");
    EXPECT_EQ(r[1].detail,
              "udp to [::1]:" + std::to_string(closed) + ": receive: Connection refused");
}

TEST(UdpKind, OptionErrorsCarryTheirPosition) {
    config::Diagnostics out;
    auto const o = udp_kind.parse_options(bag({{"send", "bad \\q"},
                                               {"send_hex", "1"},
                                               {"expect", "("},
                                               {"retries", "99"},
                                               {"colour", "red"}}),
                                          out);
    EXPECT_EQ(o, nullptr);
    ASSERT_EQ(out.size(), 6u);
    EXPECT_EQ(out[0].to_string(),
              "t.yaml:1:5: targets[0].send: bad escape (use \\r \\n \\t \\0 \\\\ \\xHH)");
    EXPECT_EQ(out[1].to_string(), "t.yaml:2:5: targets[0].send_hex: expected hex digits in pairs");
    EXPECT_EQ(out[2].line, 3);
    EXPECT_EQ(out[2].column, 20);
    EXPECT_NE(out[2].message.find("targets[0].expect: bad regular expression"), std::string::npos);
    EXPECT_EQ(out[3].to_string(),
              "t.yaml:4:20: targets[0].retries: expected an integer from 0 to 20");
    EXPECT_EQ(out[4].to_string(), "t.yaml:5:5: targets[0].colour: unknown key");
    EXPECT_EQ(out[5].to_string(), "t.yaml:2:5: targets[0].send_hex: cannot be used with send");
}

TEST(UdpKind, EscapesAndHex) {
    EXPECT_EQ(unescape("a\\r\\n\\t\\\\\\x41\\x7f\\0"), std::string("a\r\n\t\\A\x7f\0", 8));
    EXPECT_EQ(unescape("\\x4"), std::nullopt);
    EXPECT_EQ(unescape("tail\\"), std::nullopt);
    EXPECT_EQ(from_hex("1B 00:ff"), std::string("\x1b\x00\xff", 3));
    EXPECT_EQ(from_hex("abc"), std::nullopt);
    EXPECT_EQ(from_hex("zz"), std::nullopt);
}

TEST(UdpKind, ReasonNamesRoundTrip) {
    for (auto const e : {UdpError::timeout, UdpError::mismatch}) {
        std::error_code const ec = e;
        EXPECT_EQ(reason_from_name(reason_name(ec)), ec) << reason_name(ec);
        EXPECT_EQ(ec, ProbeCondition::target_failed);
    }
    EXPECT_EQ(reason_name(UdpError::timeout), "udp-timeout");
    EXPECT_EQ(reason_name(UdpError::mismatch), "udp-mismatch");
}

}  // namespace
}  // namespace portwatch::probe
