// kind tcp with send/expect/steps: banners without a newline, PING/PONG, mismatches,
// timeouts, the 4 KiB bound, option errors with their place, and the graceful close.
#include "probe/expect.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "probe/engine.hpp"
#include "probe/registry.hpp"
#include "probe/tcp.hpp"
#include "probe/tls_fixture.hpp"
#include "support/listener.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
using config::Option;
using config::OptionNode;
using test::StreamServer;

Option scalar(std::string key, std::string value, int line = 2) {
    return {.key = std::move(key),
            .value = {.type = OptionNode::Type::scalar,
                      .scalar = std::move(value),
                      .line = line,
                      .column = 12},
            .line = line,
            .column = 5};
}

std::shared_ptr<KindOptions const> parse(std::vector<Option> entries, config::Diagnostics& out) {
    config::OptionBag bag{.file = "pw.yaml", .path = "targets[1]", .entries = std::move(entries)};
    return tcp_kind.parse_options(bag, out);
}

ProbeRequest request(std::uint16_t port, std::vector<Option> entries,
                     std::chrono::milliseconds timeout = 5s) {
    config::Diagnostics out;
    auto o = parse(std::move(entries), out);
    EXPECT_TRUE(out.empty()) << out.front().to_string();
    return {.host = "127.0.0.1", .port = port, .timeout = timeout, .options = std::move(o)};
}

ProbeResult probe(ProbeRequest r) {
    return probe_all({std::move(r)}, {}).at(0);
}

std::string at(std::uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

Option steps(std::vector<std::pair<std::string, std::string>> const& list) {
    Option o{.key = "steps",
             .value = {.type = OptionNode::Type::list, .line = 3, .column = 12},
             .line = 3,
             .column = 5};
    for (auto const& [send, expect] : list) {
        OptionNode item{.type = OptionNode::Type::map, .line = 4, .column = 14};
        if (!send.empty()) {
            item.entries.push_back(scalar("send", send, 4));
        }
        if (!expect.empty()) {
            item.entries.push_back(scalar("expect", expect, 4));
        }
        o.value.items.push_back(std::move(item));
    }
    return o;
}

TEST(Expect, BannerWithoutNewlineMatchesAtOnce) {
    StreamServer server("banner");  // "SSH-2.0-pwtest", no newline, never closes
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), {scalar("expect", "^SSH-2\\.0-")}, 10s));
    EXPECT_TRUE(r.up) << r.reason() << " " << r.detail;
    EXPECT_EQ(r.reason(), "");
    EXPECT_GT(r.facts.first_byte_time.count(), 0);
    EXPECT_EQ(r.facts.cert_not_after, 0);
    auto const other = probe(request(server.port(), {scalar("expect", "^HTTP/")}, 300ms));
    EXPECT_EQ(other.reason(), "expect-timeout");
    EXPECT_EQ(other.error, StreamError::expect_timeout);
    EXPECT_EQ(other.error, ProbeCondition::target_failed);
    EXPECT_EQ(other.detail, "expect '^HTTP/' from " + at(server.port()) +
                                ": no match within 300 ms; got 'SSH-2.0-pwtest'");
}

TEST(Expect, RedisPingPong) {
    StreamServer server("redis");
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r =
        probe(request(server.port(), {scalar("send", "PING\\r\\n"), scalar("expect", "^\\+PONG")}));
    EXPECT_TRUE(r.up) << r.detail;
    // A wrong answer on an open connection: the deadline, with what came.
    auto const bad = probe(request(
        server.port(), {scalar("send", "HELLO\\r\\n"), scalar("expect", "^\\+PONG")}, 300ms));
    EXPECT_FALSE(bad.up);
    EXPECT_EQ(bad.reason(), "expect-timeout");
    EXPECT_EQ(bad.detail, "expect '^\\+PONG' from " + at(server.port()) +
                              ": no match within 300 ms; got '-ERR unknown\\r\\n'");
}

TEST(Expect, StepsRunInOrder) {
    StreamServer server("redis");
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), {steps({{"PING\\r\\n", "^\\+PONG\\r\\n$"},
                                                        {"PING\\r\\n", "^\\+PONG\\r\\n$"},
                                                        {"ECHO\\r\\n", "^-ERR"}})}));
    EXPECT_TRUE(r.up) << r.detail;
    auto const second = probe(request(
        server.port(), {steps({{"PING\\r\\n", "^\\+PONG"}, {"ECHO\\r\\n", "^\\+PONG"}})}, 300ms));
    EXPECT_EQ(second.reason(), "expect-timeout");
    EXPECT_EQ(second.detail, "expect '^\\+PONG' from " + at(server.port()) +
                                 ": no match within 300 ms; got '\\r\\n-ERR unknown\\r\\n'");
}

TEST(Expect, PeerClosingWithoutMatchIsMismatchWithTheBytes) {
    StreamServer server("closer");  // "hello", then close
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), {scalar("expect", "^world")}));
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.reason(), "expect-mismatch");
    EXPECT_EQ(r.error, StreamError::expect_mismatch);
    EXPECT_EQ(r.detail,
              "expect '^world' from " + at(server.port()) + ": the peer closed after 'hello'");
}

TEST(Expect, FourKilobytesWithoutMatchIsMismatch) {
    StreamServer server("flood");
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), {scalar("expect", "B")}));
    EXPECT_EQ(r.reason(), "expect-mismatch");
    EXPECT_EQ(r.detail, "expect 'B' from " + at(server.port()) +
                            ": no match in the first 4096 bytes: '" + std::string(256, 'A') +
                            "...'");
}

TEST(Expect, ClosedPortIsStillRefused) {
    test::ClosedPort closed;
    ASSERT_TRUE(closed.ok());
    auto const r = probe(request(closed.port(), {scalar("expect", "^SSH-")}));
    EXPECT_EQ(r.reason(), "refused");
}

TEST(Expect, ClosesGracefully) {
    test::LoopbackListener server({.banner = "SSH-2.0-test\r\n"});
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), {scalar("expect", "^SSH-2\\.0-test\\r\\n")}));
    EXPECT_TRUE(r.up) << r.detail;
    ASSERT_TRUE(server.wait_ended(1, 5s));
    EXPECT_EQ(server.eofs(), 1u);
    EXPECT_EQ(server.resets(), 0u);
}

TEST(Expect, SendAloneWritesAndCloses) {
    test::LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe(request(server.port(), {scalar("send", "QUIT\\r\\n")}));
    EXPECT_TRUE(r.up) << r.detail;
    EXPECT_EQ(r.facts.first_byte_time.count(), 0);
    ASSERT_TRUE(server.wait_ended(1, 5s));
    EXPECT_EQ(server.eofs(), 1u);
    EXPECT_EQ(server.resets(), 0u);
}

TEST(Expect, NoOptionsKeepsTheFastPath) {
    config::Diagnostics out;
    EXPECT_EQ(parse({}, out), nullptr);
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(tcp_kind.has_steps(ProbeRequest{}));
    EXPECT_TRUE(tcp_kind.has_steps(request(1, {scalar("expect", "x")})));
}

TEST(Expect, OptionErrorsNameTheirPlace) {
    config::Diagnostics out;
    EXPECT_EQ(parse({scalar("expect", "(", 2), scalar("send", "a\\qb", 3),
                     scalar("colour", "red", 4), scalar("tls", "x", 5)},
                    out),
              nullptr);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].to_string(),
              "pw.yaml:4:5: targets[1].colour: unknown key (kind tcp takes send, expect, steps, "
              "starttls, tls)");
    EXPECT_EQ(out[1].to_string(),
              "pw.yaml:3:12: targets[1].send: unknown escape '\\q' (known: "
              "\\r \\n \\t \\0 \\\\ \\xHH)");
    EXPECT_EQ(
        out[2].to_string().rfind("pw.yaml:2:12: targets[1].expect: bad regular expression: ", 0),
        0u)
        << out[2].to_string();
    EXPECT_EQ(out[3].to_string(),
              "pw.yaml:5:5: targets[1].tls: tls options need starttls (or kind: tls)");
    out.clear();
    EXPECT_EQ(parse({scalar("send", "x"), steps({{"a", "b"}})}, out), nullptr);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(
        out[0].to_string(),
        "pw.yaml:3:5: targets[1].steps: steps replaces send and expect; give one or the other");
    out.clear();
    EXPECT_EQ(parse({scalar("starttls", "gopher")}, out), nullptr);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].to_string(),
              "pw.yaml:2:12: targets[1].starttls: unknown protocol 'gopher' "
              "(known: smtp, imap, pop3, ftp, postgres)");
}

TEST(Expect, EscapesBothWays) {
    std::string error;
    EXPECT_EQ(decode_escapes("PING\\r\\n\\t\\\\\\x00\\xfF", error),
              std::string("PING\r\n\t\\\0\xff", 10));
    EXPECT_EQ(decode_escapes("\\x4", error), std::nullopt);
    EXPECT_EQ(error, "\\x takes two hex digits");
    EXPECT_EQ(decode_escapes("a\\", error), std::nullopt);
    EXPECT_EQ(escape_bytes(std::string("a\r\n\t\\\0\xff", 7)), "a\\r\\n\\t\\\\\\x00\\xff");
    EXPECT_EQ(escape_bytes("abcdef", 3), "abc...");
}

TEST(Expect, ReasonsAreNamedInTheRegistry) {
    for (auto const* name : {"expect-mismatch", "expect-timeout", "starttls-failed"}) {
        auto const ec = reason_from_name(name);
        EXPECT_EQ(&ec.category(), &stream_category()) << name;
        EXPECT_EQ(reason_name(ec), name);
    }
}

}  // namespace
}  // namespace portwatch::probe
