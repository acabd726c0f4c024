#include "probe/engine.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "support/listener.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
using test::ClosedPort;
using test::LoopbackListener;
using Clock = std::chrono::steady_clock;

ProbeResult probe_one(std::string host, std::uint16_t port,
                      std::chrono::milliseconds timeout = 3000ms) {
    auto const r = probe_all(
        {ProbeRequest{.host = std::move(host), .port = port, .timeout = timeout}}, EngineOptions{});
    return r.at(0);
}

std::string describe(ProbeResult const& r) {
    return std::string(r.up ? "UP" : "DOWN") + " [" + r.reason() + "] " + r.detail +
           " addr=" + r.address;
}

TEST(Engine, LoopbackV4ListenerIsUp) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe_one("127.0.0.1", server.port());
    EXPECT_TRUE(r.up) << describe(r);
    EXPECT_FALSE(r.error) << describe(r);
    EXPECT_GT(r.latency.count(), 0);
    EXPECT_EQ(r.address, "127.0.0.1");
}

TEST(Engine, LoopbackV6ListenerIsUp) {
    if (!test::ipv6_loopback_available()) {
        GTEST_SKIP() << "IPv6 loopback (::1) is not available on this machine";
    }
    LoopbackListener server({.address = "::1"});
    ASSERT_TRUE(server.ok()) << server.error();
    for (std::string host : {"::1", "[::1]"}) {
        auto const r = probe_one(host, server.port());
        EXPECT_TRUE(r.up) << host << ": " << describe(r);
        EXPECT_GT(r.latency.count(), 0);
        EXPECT_EQ(r.address, "::1");
    }
}

TEST(Engine, ClosedPortIsRefused) {
    ClosedPort closed;
    ASSERT_TRUE(closed.ok());
    auto const r = probe_one("127.0.0.1", closed.port());
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.error, ProbeError::refused) << describe(r);
    EXPECT_EQ(r.address, "127.0.0.1");
    EXPECT_NE(r.detail.find("127.0.0.1"), std::string::npos) << r.detail;
}

TEST(Engine, LocalhostResolves) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe_one("localhost", server.port());
    EXPECT_TRUE(r.up) << describe(r);
    EXPECT_EQ(r.address, "127.0.0.1");
}

TEST(Engine, ManyProbesShareOneLookup) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    ClosedPort closed;
    std::vector<ProbeRequest> reqs;
    for (int i = 0; i < 200; ++i) {
        reqs.push_back({.host = "localhost",
                        .port = i % 2 == 0 ? server.port() : closed.port(),
                        .timeout = 5000ms});
    }
    auto const results = probe_all(reqs, {});
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (i % 2 == 0) {
            EXPECT_TRUE(results[i].up) << i << ": " << describe(results[i]);
        } else {
            EXPECT_EQ(results[i].error, ProbeError::refused) << i << ": " << describe(results[i]);
        }
    }
}

TEST(Engine, NonexistentNameIsDnsErrorWithinDeadline) {
    // No internet here: the resolver may answer NXDOMAIN, fail, or never answer. Any dns-*
    // reason is right, as long as the deadline holds.
    auto const timeout = 2000ms;
    auto const t0 = Clock::now();
    auto const r = probe_one("nonexistent.invalid", 80, timeout);
    auto const took = Clock::now() - t0;
    EXPECT_FALSE(r.up);
    EXPECT_TRUE(r.error == ProbeError::dns_nxdomain || r.error == ProbeError::dns_failure ||
                r.error == ProbeError::dns_timeout)
        << describe(r);
    EXPECT_LT(took, timeout + 1500ms);
}

TEST(Engine, EmptyHostIsDnsFailure) {
    auto const r = probe_one("", 80);
    EXPECT_FALSE(r.up);
    EXPECT_EQ(r.error, ProbeError::dns_failure) << describe(r);
}

// A server that talks first (SSH, MySQL, SMTP): closing with its banner unread would send RST.
TEST(Engine, ClosesWithFinNotRstWhenServerSendsBanner) {
    LoopbackListener server({.banner = "SSH-2.0-OpenSSH_9.2 portwatch-test\r\n"});
    ASSERT_TRUE(server.ok()) << server.error();
    constexpr std::size_t n = 50;
    std::vector<ProbeRequest> reqs(
        n, ProbeRequest{.host = "127.0.0.1", .port = server.port(), .timeout = 3000ms});
    auto const results = probe_all(reqs, {});
    for (auto const& r : results) {
        EXPECT_TRUE(r.up) << describe(r);
    }
    ASSERT_TRUE(server.wait_ended(n, 5000ms))
        << "eofs=" << server.eofs() << " resets=" << server.resets();
    EXPECT_EQ(server.eofs(), n);
    EXPECT_EQ(server.resets(), 0u);
}

// The listener really tells a reset from a FIN: an abortive close (SO_LINGER 0) is counted.
TEST(Engine, ListenerCountsResets) {
    LoopbackListener server({.banner = "hello\r\n"});
    ASSERT_TRUE(server.ok()) << server.error();
    int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(server.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    char buf[64];
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);  // the banner: the server has sent it
    linger lg{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::close(fd);
    ASSERT_TRUE(server.wait_ended(1, 5000ms));
    EXPECT_EQ(server.resets(), 1u);
    EXPECT_EQ(server.eofs(), 0u);
}

TEST(Engine, ClosesWithFinWithoutBanner) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    auto const r = probe_one("127.0.0.1", server.port());
    EXPECT_TRUE(r.up) << describe(r);
    ASSERT_TRUE(server.wait_ended(1, 5000ms));
    EXPECT_EQ(server.eofs(), 1u);
    EXPECT_EQ(server.resets(), 0u);
}

std::vector<ProbeRequest> mixed_targets(std::size_t n, std::uint16_t up, std::uint16_t down) {
    std::vector<ProbeRequest> reqs;
    reqs.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        reqs.push_back({.host = "127.0.0.1", .port = i % 3 == 0 ? down : up, .timeout = 10000ms});
    }
    return reqs;
}

void expect_mixed(std::vector<ProbeResult> const& results, std::uint16_t /*up*/) {
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        bool const want_up = i % 3 != 0;
        bool const ok =
            want_up ? results[i].up : (!results[i].up && results[i].error == ProbeError::refused);
        if (!ok && ++wrong <= 5) {
            ADD_FAILURE() << "target " << i << ": " << describe(results[i]);
        }
    }
    EXPECT_EQ(wrong, 0u);
}

TEST(Engine, TwoThousandMixedTargets) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    ClosedPort closed;
    auto const reqs = mixed_targets(2000, server.port(), closed.port());
    auto const t0 = Clock::now();
    auto const results = probe_all(reqs, {});
    EXPECT_LT(Clock::now() - t0, 30s);
    ASSERT_EQ(results.size(), reqs.size());
    expect_mixed(results, server.port());
}

TEST(Engine, SmallCapStillCompletesAll) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    ClosedPort closed;
    auto const reqs = mixed_targets(600, server.port(), closed.port());
    auto const results = probe_all(reqs, {.concurrency = 10});
    expect_mixed(results, server.port());
}

TEST(Engine, ReportsItsCapAndPending) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    boost::asio::io_context io;
    Engine engine(io, {.concurrency = 7});
    EXPECT_EQ(engine.concurrency(), 7u);
    std::size_t done = 0;
    constexpr std::size_t n = 100;
    for (std::size_t i = 0; i < n; ++i) {
        engine.submit({.host = "127.0.0.1", .port = server.port(), .timeout = 5000ms},
                      [&](ProbeResult r) {
                          EXPECT_TRUE(r.up) << describe(r);
                          ++done;
                          EXPECT_EQ(engine.pending(), n - done);
                      });
    }
    EXPECT_EQ(engine.pending(), n);
    io.run();
    EXPECT_EQ(done, n);
    EXPECT_EQ(engine.pending(), 0u);
}

TEST(Engine, ResultsKeepRequestOrder) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    ClosedPort closed;
    std::vector<ProbeRequest> reqs{{.host = "127.0.0.1", .port = closed.port()},
                                   {.host = "127.0.0.1", .port = server.port()},
                                   {.host = "", .port = 1},
                                   {.host = "localhost", .port = server.port()}};
    auto const r = probe_all(reqs, {});
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[0].error, ProbeError::refused);
    EXPECT_TRUE(r[1].up);
    EXPECT_EQ(r[2].error, ProbeError::dns_failure);
    EXPECT_TRUE(r[3].up);
    EXPECT_TRUE(probe_all({}, {}).empty());
}

TEST(Engine, StopCompletesEverythingOnce) {
    LoopbackListener server;
    ASSERT_TRUE(server.ok()) << server.error();
    boost::asio::io_context io;
    Engine engine(io, {.concurrency = 5});
    constexpr int n = 60;
    std::vector<int> calls(n, 0);
    for (int i = 0; i < n; ++i) {
        // Some wait on DNS that may never answer, the rest sit in the queue.
        std::string host = i % 2 == 0 ? "nonexistent.invalid" : "127.0.0.1";
        engine.submit({.host = host, .port = server.port(), .timeout = 20000ms},
                      [&calls, i](ProbeResult) { ++calls[i]; });
    }
    boost::asio::steady_timer t(io);
    t.expires_after(100ms);
    t.async_wait([&](boost::system::error_code) { engine.stop(); });
    auto const t0 = Clock::now();
    io.run();
    EXPECT_LT(Clock::now() - t0, 10s);
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(calls[i], 1) << "request " << i;
    }
    // After stop, a submit still completes (cancelled).
    bool late = false;
    engine.submit({.host = "127.0.0.1", .port = server.port()}, [&](ProbeResult r) {
        late = true;
        EXPECT_FALSE(r.up);
    });
    io.restart();
    io.run();
    EXPECT_TRUE(late);
}

TEST(Engine, RaiseFdLimitReturnsSoftLimit) {
    std::size_t const soft = raise_fd_limit();
    EXPECT_GT(soft, 0u);
    EXPECT_EQ(raise_fd_limit(), soft);
}

}  // namespace
}  // namespace portwatch::probe
