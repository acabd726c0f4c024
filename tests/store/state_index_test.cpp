#include "store/state_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace portwatch::store {
namespace {

std::string key(int i) {
    return "10.0." + std::to_string(i) + ":" + std::to_string(1 + i);
}

/// n targets whose reason names their own key, so a lookup can be checked by content.
State state_of(int n) {
    State s;
    for (int i = 0; i < n; ++i) {
        eval::TargetState t;
        t.reason = key(i);
        s.targets.emplace_back(key(i), t);
    }
    return s;
}

TEST(StateIndex, FindsEveryKeyInStateOrder) {
    State const s = state_of(1000);
    StateIndex index(s);
    for (auto const& [k, t] : s.targets) {
        auto const* found = index.find(k);
        ASSERT_NE(found, nullptr) << k;
        EXPECT_EQ(found->reason, k);
        EXPECT_EQ(found, &t);  // the state's own entry, not a copy
    }
}

TEST(StateIndex, FindsEveryKeyInAnyOrder) {
    State const s = state_of(1000);
    std::vector<std::string> keys;
    for (auto const& [k, t] : s.targets) {
        keys.push_back(k);
    }
    std::reverse(keys.begin(), keys.end());
    std::mt19937 rng(7);
    std::shuffle(keys.begin() + 500, keys.end(), rng);
    StateIndex index(s);
    for (auto const& k : keys) {
        auto const* found = index.find(k);
        ASSERT_NE(found, nullptr) << k;
        EXPECT_EQ(found->reason, k);
    }
}

TEST(StateIndex, MissesAmongHitsAndAfterThem) {
    // A list that interleaves new targets with known ones: every known one is found, every
    // new one is a miss, and the run of known keys after a miss is still found.
    State const s = state_of(100);
    StateIndex index(s);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(index.find("new-" + std::to_string(i) + ":1"), nullptr);
        auto const* found = index.find(key(i));
        ASSERT_NE(found, nullptr) << key(i);
        EXPECT_EQ(found->reason, key(i));
    }
    EXPECT_EQ(index.find(""), nullptr);
}

TEST(StateIndex, EmptyStateFindsNothing) {
    State const s;
    StateIndex index(s);
    EXPECT_EQ(index.find("a:1"), nullptr);
    EXPECT_EQ(index.find("a:1"), nullptr);
}

TEST(StateIndex, LargeListOfNewTargetsAgainstLargeState) {
    // The case that was quadratic with a scan per miss (bench/micro StateLookup): 50,000 new
    // keys against 50,000 saved ones, then every saved key in reverse.
    State const s = state_of(50000);
    StateIndex index(s);
    for (int i = 0; i < 50000; ++i) {
        ASSERT_EQ(index.find("192.0.2." + std::to_string(i) + ":1"), nullptr);
    }
    for (int i = 49999; i >= 0; --i) {
        auto const* found = index.find(key(i));
        ASSERT_NE(found, nullptr);
        ASSERT_EQ(found->reason, key(i));
    }
}

}  // namespace
}  // namespace portwatch::store
