#include "driver/target_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "driver/from_config.hpp"
#include "eval/evaluator.hpp"

namespace portwatch::driver {
namespace {

util::TimePoint at(int minutes) {
    return util::TimePoint(std::chrono::minutes(28'000'000 + minutes));
}

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
    auto const diff = t.apply({spec("a", 1), spec("b", 2)}, at(0));
    EXPECT_EQ(diff, (TableDiff{.added = {0, 1}}));
    EXPECT_EQ(t[0].key, "a:1");
    EXPECT_EQ(t[1].key, "b:2");
    EXPECT_EQ(t.find("b:2"), std::optional<std::size_t>(1));
    EXPECT_FALSE(t.find("c:3"));
}

TEST(TargetTableTest, KeepsStateOfTargetsThatRemainAndReportsChanges) {
    TargetTable t;
    t.apply({spec("a", 1), spec("b", 2)}, at(0));
    t[0].state = eval::TargetState{.status = eval::Status::down};
    auto changed = spec("a", 1);
    changed.interval = std::chrono::seconds(5);
    auto const diff = t.apply({changed, spec("b", 2)}, at(0));
    EXPECT_EQ(diff, (TableDiff{.changed = {0}}));
    ASSERT_TRUE(t[0].state);
    EXPECT_EQ(t[0].state->status, eval::Status::down);
    EXPECT_EQ(t[0].spec.interval, std::chrono::seconds(5));
}

TEST(TargetTableTest, RemovedSlotIsReusedUnderANewGeneration) {
    TargetTable t;
    t.apply({spec("a", 1), spec("b", 2)}, at(0));
    auto const old_generation = t.generation(0);
    EXPECT_TRUE(t.current(0, old_generation));
    auto const diff = t.apply({spec("b", 2), spec("c", 3)}, at(0));
    EXPECT_EQ(diff.removed, std::vector<std::string>{"a:1"});
    EXPECT_EQ(diff.added, std::vector<std::size_t>{0});  // the freed slot
    EXPECT_EQ(t[0].key, "c:3");
    EXPECT_FALSE(t[0].state);
    // A late result of a:1 is not taken for c:3's.
    EXPECT_FALSE(t.current(0, old_generation));
    EXPECT_TRUE(t.current(0, t.generation(0)));
}

TEST(TargetTableTest, AListRewrittenInPlaceKeepsTheStateOfTargetsThatComeBack) {
    TargetTable t(std::chrono::minutes(10));
    t.apply({spec("a", 1), spec("b", 2), spec("c", 3)}, at(0));
    t[0].state = eval::TargetState{.status = eval::Status::down, .reason = "refused"};
    t[1].state = eval::TargetState{.status = eval::Status::up};
    // Truncated, then written again line by line: three reloads within a second.
    auto const emptied = t.apply({}, at(0));
    EXPECT_EQ(emptied.removed.size(), 3u);
    t.apply({spec("a", 1)}, at(0));
    auto const refilled = t.apply({spec("a", 1), spec("b", 2), spec("c", 3)}, at(1));
    EXPECT_EQ(refilled.restored.size(), 1u);  // b (a came back one reload earlier)
    auto const a = t.find("a:1");
    auto const b = t.find("b:2");
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(t[*a].state);
    EXPECT_EQ(t[*a].state->status, eval::Status::down);
    EXPECT_EQ(t[*a].state->reason, "refused");
    ASSERT_TRUE(t[*b].state);
    EXPECT_EQ(t[*b].state->status, eval::Status::up);
    EXPECT_TRUE(t.expire(at(60)).empty());  // nothing left parked (c had no state)
}

TEST(TargetTableTest, ParkedStateIsForgottenAfterTheGrace) {
    TargetTable t(std::chrono::minutes(10));
    t.apply({spec("a", 1)}, at(0));
    t[0].state = eval::TargetState{.status = eval::Status::down};
    t.apply({}, at(0));
    t.park("z:9", eval::TargetState{.status = eval::Status::up}, at(0));
    EXPECT_TRUE(t.expire(at(9)).empty());
    auto expired = t.expire(at(10));
    std::sort(expired.begin(), expired.end());
    EXPECT_EQ(expired, (std::vector<std::string>{"a:1", "z:9"}));
    t.apply({spec("a", 1)}, at(11));
    EXPECT_FALSE(t[0].state);  // too late: a new target
}

TEST(TargetTableTest, ViewOrderIsGroupThenName) {
    TargetTable t;
    t.apply({spec("a", 1, "zeta", "g2"), spec("b", 2, "beta", "g1"), spec("c", 3, "alpha", "g2")},
            at(0));
    std::vector<std::string> names;
    for (auto const slot : t.view_order()) {
        names.push_back(t[slot].spec.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"beta", "alpha", "zeta"}));
}

TEST(RemindOnGridTest, ShortensByHalfTheGapBeforeTheFirstCheckAtRemindEvery) {
    using std::chrono::milliseconds;
    EXPECT_EQ(remind_on_grid(milliseconds(3000), milliseconds(1000)), milliseconds(2500));
    EXPECT_EQ(remind_on_grid(milliseconds(3500), milliseconds(1000)), milliseconds(3250));
    EXPECT_EQ(remind_on_grid(milliseconds(3'600'000), milliseconds(30'000)),
              milliseconds(3'585'000));
    EXPECT_EQ(remind_on_grid(milliseconds(500), milliseconds(1000)), milliseconds(250));
    EXPECT_EQ(remind_on_grid(milliseconds(0), milliseconds(1000)), milliseconds(0));
}

/// The daemon evaluates at each check's completion: grid point + latency. The DOWN check took
/// 8 ms, the later ones 1 ms: the first reminder still comes with the check remind_every
/// (3 s) after the DOWN one, not one interval (1 s) later.
TEST(RemindOnGridTest, FirstReminderComesRemindEveryAfterDownDespiteJitter) {
    TargetTable t;
    auto s = spec("127.0.0.1", 1);
    s.interval = std::chrono::seconds(1);
    s.thresholds.failure = 1;
    s.thresholds.remind_every = std::chrono::seconds(3);
    t.apply({s}, at(0));
    auto const& th = t[0].thresholds;
    eval::Observation const refused{.up = false, .reason = "refused"};
    auto const grid = at(0);
    std::optional<eval::TargetState> state;
    std::vector<int> reminders;
    for (int k = 0; k <= 7; ++k) {
        auto const latency = std::chrono::milliseconds(k == 0 ? 8 : 1);
        auto const out =
            eval::evaluate(s.target, state, refused, th, grid + std::chrono::seconds(k) + latency);
        if (out.event && out.event->reminder) {
            reminders.push_back(k);
        }
        state = out.state;
    }
    EXPECT_EQ(reminders, (std::vector<int>{3, 6}));
}

}  // namespace
}  // namespace portwatch::driver
