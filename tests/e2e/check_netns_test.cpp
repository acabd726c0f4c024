// Silent drops: `portwatch check` inside a network namespace with a drop rule.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "e2e/e2e_support.hpp"
#include "support/netns.hpp"

namespace portwatch::test {
namespace {

using namespace std::chrono_literals;

TEST(CheckNetns, DroppedTargetsTimeOutTogetherWithinOneTimeout) {
    NetNs ns;
    if (!ns.ok()) {
        GTEST_SKIP() << "cannot create a network namespace here: " << ns.error();
    }
    constexpr int dropped = 50;
    std::string list;
    for (int i = 0; i < dropped; ++i) {
        ASSERT_TRUE(ns.drop(fmt::format("127.0.3.{}", i + 1), 7000)) << ns.error();
        list += fmt::format("127.0.3.{} 7000 Dropped {}\n", i + 1, i);
    }
    list += "127.0.0.1 7001 Refused\n";  // nothing listens inside the namespace
    SeedDir dir;
    dir.list(list);
    auto const check = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv{
            "ip",    "netns",     "exec", ns.name(), portwatch_binary(), "-C", dir.path().string(),
            "check", "--timeout", "1.5"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run_process(argv, {.timeout = 120s});
    };
    // Probing alone: 50 silent targets cost one timeout, not fifty (a sanity bound only).
    auto const dry = check({"--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
    EXPECT_LT(dry.elapsed, 8s);
    std::printf("probing %d dropped targets took %lld ms\n", dropped,
                static_cast<long long>(dry.elapsed.count()));
    auto const r = check({});
    ASSERT_EQ(r.exit_code, 0) << "signal " << r.signal << " timed out " << r.timed_out << "\n"
                              << r.out << r.err;
    auto const calls = dir.calls();
    ASSERT_EQ(calls.size(), dropped + 1u);
    int timeouts = 0;
    int refused = 0;
    for (auto const& c : calls) {
        timeouts += c.reason == "timeout";
        refused += c.reason == "refused";
    }
    EXPECT_EQ(timeouts, dropped);
    EXPECT_EQ(refused, 1);
    EXPECT_NE(r.out.find("DOWN 127.0.3.1:7000 (Dropped 0) timeout after 15"), std::string::npos)
        << r.out;
}

}  // namespace
}  // namespace portwatch::test
