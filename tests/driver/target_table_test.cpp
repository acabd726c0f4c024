#include "driver/target_table.hpp"

#include <gtest/gtest.h>

namespace portwatch::driver {
namespace {

config::TargetSpec spec(std::string host, std::uint16_t port, std::string name = "",
                        std::string group = "") {
    config::TargetSpec s;
    s.target = config::Target{.host = std::move(host), .port = port};
    s.name = name.empty() ? s.target.key() : std::move(name);
    s.group = std::move(group);
    return s;
}

TEST(TargetTableTest, AddsEveryTargetOfTheFirstConfig) {
    TargetTable t;
    auto const diff = t.apply({spec("a", 1), spec("b", 2)});
    EXPECT_EQ(diff, (TableDiff{.added = {0, 1}}));
    EXPECT_EQ(t[0].key, "a:1");
    EXPECT_EQ(t[1].key, "b:2");
    EXPECT_EQ(t.find("b:2"), std::optional<std::size_t>(1));
    EXPECT_FALSE(t.find("c:3"));
}

TEST(TargetTableTest, KeepsStateOfTargetsThatRemainAndReportsChanges) {
    TargetTable t;
    t.apply({spec("a", 1), spec("b", 2)});
    t[0].state = eval::TargetState{.status = eval::Status::down};
    auto changed = spec("a", 1);
    changed.interval = std::chrono::seconds(5);
    auto const diff = t.apply({changed, spec("b", 2)});
    EXPECT_EQ(diff, (TableDiff{.changed = {0}}));
    ASSERT_TRUE(t[0].state);
    EXPECT_EQ(t[0].state->status, eval::Status::down);
    EXPECT_EQ(t[0].spec.interval, std::chrono::seconds(5));
}

TEST(TargetTableTest, RemovedSlotIsReusedUnderANewGeneration) {
    TargetTable t;
    t.apply({spec("a", 1), spec("b", 2)});
    auto const old_generation = t.generation(0);
    EXPECT_TRUE(t.current(0, old_generation));
    auto const diff = t.apply({spec("b", 2), spec("c", 3)});
    EXPECT_EQ(diff.removed, std::vector<std::string>{"a:1"});
    EXPECT_EQ(diff.added, std::vector<std::size_t>{0});  // the freed slot
    EXPECT_EQ(t[0].key, "c:3");
    EXPECT_FALSE(t[0].state);
    // A late result of a:1 is not taken for c:3's.
    EXPECT_FALSE(t.current(0, old_generation));
    EXPECT_TRUE(t.current(0, t.generation(0)));
}

TEST(TargetTableTest, ViewOrderIsGroupThenName) {
    TargetTable t;
    t.apply({spec("a", 1, "zeta", "g2"), spec("b", 2, "beta", "g1"), spec("c", 3, "alpha", "g2")});
    std::vector<std::string> names;
    for (auto const slot : t.view_order()) {
        names.push_back(t[slot].spec.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"beta", "alpha", "zeta"}));
}

TEST(TargetTableTest, IdIsTheNamePercentEncodedOnce) {
    EXPECT_EQ(url_id("web-1.example_~x"), "web-1.example_~x");
    EXPECT_EQ(url_id("127.0.0.1:80"), "127.0.0.1%3A80");
    EXPECT_EQ(url_id("a/b c"), "a%2Fb%20c");
}

}  // namespace
}  // namespace portwatch::driver
