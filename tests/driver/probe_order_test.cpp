#include "driver/probe_order.hpp"

#include <gtest/gtest.h>

namespace portwatch::driver {
namespace {

using Order = std::vector<std::size_t>;

std::vector<config::Target> targets(int n) {
    std::vector<config::Target> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(config::Target{.host = "10.0.0." + std::to_string(i + 1),
                                     .port = 80,
                                     .description = "",
                                     .file = "l.lst",
                                     .line = i + 1});
    }
    return out;
}

eval::TargetState failed(std::string reason, int failures = 1) {
    eval::TargetState s;
    s.status = eval::Status::down;
    s.reason = std::move(reason);
    s.consecutive_failures = failures;
    return s;
}

eval::TargetState up() {
    eval::TargetState s;
    s.status = eval::Status::up;
    s.consecutive_successes = 3;
    return s;
}

TEST(ProbeOrder, WithoutStateItIsTheListOrder) {
    EXPECT_EQ(probe_order(targets(4), store::State{}, 10), (Order{0, 1, 2, 3}));
    EXPECT_EQ(probe_order({}, store::State{}, 10), Order{});
}

TEST(ProbeOrder, WhatTimedOutLastTimeGoesFirstTheRestKeepTheirOrder) {
    auto const t = targets(6);
    store::State s;
    s.targets = {
        {t[0].key(), up()},
        {t[1].key(), failed("refused")},
        {t[2].key(), failed("timeout")},
        {t[3].key(), up()},
        {t[4].key(), failed("dns-timeout", 5)},
        {t[5].key(), failed("host-unreachable")},
    };
    EXPECT_EQ(probe_order(t, s, 100), (Order{2, 4, 0, 1, 3, 5}));
}

TEST(ProbeOrder, OnlyTheLastCheckCounts) {
    // A target whose reason still says timeout but whose last check succeeded (a DOWN target
    // on its way back up under a success threshold) is not slow any more.
    auto const t = targets(3);
    auto recovering = failed("timeout", 0);
    recovering.consecutive_successes = 1;
    store::State s;
    s.targets = {{t[0].key(), up()}, {t[1].key(), recovering}, {t[2].key(), failed("timeout")}};
    EXPECT_EQ(probe_order(t, s, 100), (Order{2, 0, 1}));
}

TEST(ProbeOrder, StateInAnotherOrderOrWithOtherTargetsStillMatchesByKey) {
    auto const t = targets(4);
    store::State s;
    s.targets = {
        {"gone.example:22", failed("timeout")},
        {t[3].key(), failed("timeout")},
        {t[1].key(), failed("timeout")},
    };
    EXPECT_EQ(probe_order(t, s, 100), (Order{1, 3, 0, 2}));
}

TEST(ProbeOrder, EveryIndexExactlyOnce) {
    auto const t = targets(50);
    store::State s;
    for (std::size_t i = 0; i < t.size(); i += 3) {
        s.targets.emplace_back(t[i].key(), failed(i % 2 == 0 ? "timeout" : "refused"));
    }
    auto order = probe_order(t, s, 100);
    ASSERT_EQ(order.size(), t.size());
    std::vector<int> seen(t.size(), 0);
    for (auto i : order) {
        ASSERT_LT(i, t.size());
        ++seen[i];
    }
    EXPECT_EQ(seen, std::vector<int>(t.size(), 1));
    // 0, 6, 12, ..., 48 timed out: 9 of them, first and ascending.
    EXPECT_EQ(Order(order.begin(), order.begin() + 9), (Order{0, 6, 12, 18, 24, 30, 36, 42, 48}));
}

TEST(ProbeOrder, AtMostMaxFirstGoFirstTheOtherSlowOnesKeepTheirPlaces) {
    // More slow targets than half the slots would fill every slot for a whole timeout while
    // the fast ones wait: only the first max_first move to the front.
    auto const t = targets(10);
    store::State s;
    for (std::size_t i = 1; i < t.size(); i += 2) {
        s.targets.emplace_back(t[i].key(), failed("timeout"));
    }
    EXPECT_EQ(probe_order(t, s, 2), (Order{1, 3, 0, 2, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(probe_order(t, s, 0), (Order{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(probe_order(t, s, 5), (Order{1, 3, 5, 7, 9, 0, 2, 4, 6, 8}));
}

}  // namespace
}  // namespace portwatch::driver
