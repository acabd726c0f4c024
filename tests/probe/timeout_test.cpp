// Silent drops, in a network namespace of our own with a DROP rule.
#include "probe/engine.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/listener.hpp"
#include "support/netns.hpp"

namespace portwatch::probe {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(Timeout, SilentDropIsTimeoutWithinDeadline) {
    test::NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    }
    ASSERT_TRUE(ns.drop("127.0.0.1", 9)) << ns.error();
    std::vector<ProbeResult> results;
    Clock::duration took{};
    ASSERT_TRUE(ns.run([&] {
        auto const t0 = Clock::now();
        results = probe_all({{.host = "127.0.0.1", .port = 9, .timeout = 300ms}}, {});
        took = Clock::now() - t0;
    })) << ns.error();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_FALSE(results[0].up);
    EXPECT_EQ(results[0].error, ProbeError::timeout) << results[0].detail;
    EXPECT_EQ(results[0].address, "127.0.0.1");
    EXPECT_GE(results[0].latency, 290ms);
    EXPECT_LT(took, 3s);
}

TEST(Timeout, FractionalTimeoutsAndMixedTargetsInNamespace) {
    test::NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    }
    ASSERT_TRUE(ns.drop("127.0.0.1", 9)) << ns.error();
    std::vector<ProbeResult> results;
    Clock::duration took{};
    ASSERT_TRUE(ns.run([&] {
        // The listener is made inside the namespace too.
        test::LoopbackListener server;
        ASSERT_TRUE(server.ok()) << server.error();
        test::ClosedPort closed;
        std::vector<ProbeRequest> reqs;
        for (int i = 0; i < 300; ++i) {
            std::uint16_t const port = i % 3 == 0 ? 9 : i % 3 == 1 ? server.port() : closed.port();
            reqs.push_back({.host = "127.0.0.1", .port = port, .timeout = 750ms});
        }
        auto const t0 = Clock::now();
        results = probe_all(reqs, {});
        took = Clock::now() - t0;
    })) << ns.error();
    ASSERT_EQ(results.size(), 300u);
    for (std::size_t i = 0; i < results.size(); ++i) {
        ProbeError const want = i % 3 == 0   ? ProbeError::timeout
                                : i % 3 == 1 ? ProbeError::none
                                             : ProbeError::refused;
        EXPECT_EQ(results[i].reason(), probe_error_name(want)) << i << ": " << results[i].detail;
        EXPECT_EQ(results[i].up, want == ProbeError::none);
        if (want == ProbeError::timeout) {
            EXPECT_GE(results[i].latency, 740ms);
        }
    }
    // Concurrent: about one timeout in total, not the sum of 100.
    EXPECT_LT(took, 5s);
}

TEST(Timeout, DropOnIpv6Loopback) {
    test::NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace: " << ns.error();
    }
    ASSERT_TRUE(ns.drop("::1", 9)) << ns.error();
    std::vector<ProbeResult> results;
    bool v6 = true;
    ASSERT_TRUE(ns.run([&] {
        v6 = test::ipv6_loopback_available();
        if (v6) {
            results = probe_all({{.host = "::1", .port = 9, .timeout = 300ms}}, {});
        }
    })) << ns.error();
    if (!v6) {
        GTEST_SKIP() << "IPv6 loopback is not available inside the namespace";
    }
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].error, ProbeError::timeout) << results[0].detail;
    EXPECT_EQ(results[0].address, "::1");
}

}  // namespace
}  // namespace portwatch::probe
