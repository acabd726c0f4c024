#include "driver/scheduler.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace portwatch::driver {
namespace {

using namespace std::chrono_literals;

class FakeClock final : public SchedulerClock {
  public:
    SteadyTime now() const override { return now_; }
    void advance(std::chrono::nanoseconds d) { now_ += d; }
    SteadyTime now_ = SteadyTime(1000h);
};

std::vector<Scheduler::Due> take(Scheduler& s) {
    std::vector<Scheduler::Due> out;
    s.take_due(out);
    return out;
}

/// Runs the clock forward in `step`s until `until`, finishing each run at once, and returns
/// the start times of every run per id.
std::map<std::size_t, std::vector<SteadyTime>> simulate(Scheduler& s, FakeClock& clock,
                                                        std::chrono::nanoseconds until,
                                                        std::chrono::nanoseconds step) {
    std::map<std::size_t, std::vector<SteadyTime>> starts;
    auto const end = clock.now() + until;
    while (clock.now() < end) {
        for (auto const& d : take(s)) {
            starts[d.id].push_back(d.planned);
            s.done(d.id);
        }
        clock.advance(step);
    }
    return starts;
}

TEST(Scheduler, SpreadsFirstRunsOverTheInterval) {
    FakeClock clock;
    Scheduler s(clock, 100000);
    for (std::size_t i = 0; i < 10000; ++i) {
        s.set(i, "10.0.0." + std::to_string(i) + ":80", 10s);
    }
    std::array<int, 10> per_second{};
    auto const start = clock.now();
    for (int ms = 0; ms < 10000; ++ms) {
        auto const due = take(s);
        for (auto const& d : due) {
            auto const sec = (d.planned - start) / 1s;
            ASSERT_LT(sec, 10);
            per_second[static_cast<std::size_t>(sec)] += 1;
            s.done(d.id);
        }
        clock.advance(1ms);
    }
    for (int n : per_second) {
        EXPECT_GT(n, 800);  // 1000 expected per second: no herd, no gap
        EXPECT_LT(n, 1200);
    }
}

TEST(Scheduler, PhaseIsDeterministicPerKey) {
    EXPECT_EQ(Scheduler::phase("db:5432", 30s), Scheduler::phase("db:5432", 30s));
    EXPECT_NE(Scheduler::phase("db:5432", 30s), Scheduler::phase("db:5433", 30s));
    EXPECT_LT(Scheduler::phase("db:5432", 30s), 30s);
    // Two schedulers (a restart) put the same target at the same point of the grid.
    FakeClock c1;
    FakeClock c2;
    c2.advance(7s);
    Scheduler a(c1, 10);
    Scheduler b(c2, 10);
    a.set(0, "x:1", 10s);
    b.set(0, "x:1", 10s);
    auto const pa = *a.next_wakeup() - SteadyTime();
    auto const pb = *b.next_wakeup() - SteadyTime();
    EXPECT_EQ(pa % 10s, pb % 10s);
}

TEST(Scheduler, NoDriftWhenChecksTakeTime) {
    FakeClock clock;
    Scheduler s(clock, 10);
    s.set(0, "a:1", 5s);
    clock.now_ = *s.next_wakeup();
    auto const first = take(s);
    ASSERT_EQ(first.size(), 1u);
    auto const t0 = first[0].planned;
    for (int i = 1; i <= 5; ++i) {
        clock.advance(1700ms);  // the check takes 1.7 s
        s.done(0);
        clock.now_ = *s.next_wakeup();
        auto const due = take(s);
        ASSERT_EQ(due.size(), 1u);
        EXPECT_EQ(due[0].planned, t0 + i * 5s);
    }
}

TEST(Scheduler, NeverRunsATargetTwiceAtOnce) {
    FakeClock clock;
    Scheduler s(clock, 10);
    s.set(0, "slow:1", 1s);
    clock.now_ = *s.next_wakeup();
    ASSERT_EQ(take(s).size(), 1u);
    clock.advance(1s);
    EXPECT_TRUE(take(s).empty());  // still running: the turn is skipped
    clock.advance(1s);
    EXPECT_TRUE(take(s).empty());
    EXPECT_EQ(s.skipped(), 2u);
    s.done(0);
    clock.advance(1s);
    EXPECT_EQ(take(s).size(), 1u);
}

TEST(Scheduler, InFlightCapQueuesInOrderAndKeepsPlannedTimes) {
    FakeClock clock;
    Scheduler s(clock, 3);
    for (std::size_t i = 0; i < 10; ++i) {
        s.set(i, "t" + std::to_string(i), 10s);
    }
    clock.advance(10s);  // everything is due
    auto const first = take(s);
    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(s.in_flight(), 3u);
    EXPECT_TRUE(take(s).empty());
    s.done(first[0].id);
    EXPECT_EQ(*s.next_wakeup(), clock.now());
    auto const next = take(s);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_LE(first[2].planned, next[0].planned);  // oldest turn first
    EXPECT_LT(next[0].planned, clock.now());       // lateness is visible to the driver
}

TEST(Scheduler, ReloadKeepsUnchangedScheduleReschedulesChangedAndDropsRemoved) {
    FakeClock clock;
    Scheduler s(clock, 10);
    s.set(0, "a", 10s);
    s.set(1, "b", 10s);
    auto const before = s.next_wakeup();
    s.set(0, "a", 10s);  // unchanged
    EXPECT_EQ(s.next_wakeup(), before);
    s.set(1, "b", 20s);
    s.remove(0);
    EXPECT_EQ(s.size(), 1u);
    auto const runs = simulate(s, clock, 60s, 100ms);
    EXPECT_EQ(runs.count(0), 0u);
    ASSERT_EQ(runs.at(1).size(), 3u);
    EXPECT_EQ(runs.at(1)[1] - runs.at(1)[0], 20s);
}

TEST(Scheduler, RemovedWhileRunningIgnoresItsLateDone) {
    FakeClock clock;
    Scheduler s(clock, 1);
    s.set(0, "a", 1s);
    s.set(1, "b", 1s);
    clock.advance(1s);
    auto const due = take(s);
    ASSERT_EQ(due.size(), 1u);
    s.remove(due[0].id);
    EXPECT_EQ(s.in_flight(), 0u);
    s.done(due[0].id);
    EXPECT_EQ(s.in_flight(), 0u);
    auto const other = take(s);
    ASSERT_EQ(other.size(), 1u);
    EXPECT_NE(other[0].id, due[0].id);
}

TEST(Scheduler, StalledLoopSkipsMissedTurnsInsteadOfBursting) {
    FakeClock clock;
    Scheduler s(clock, 10);
    s.set(0, "a", 1s);
    clock.now_ = *s.next_wakeup();
    ASSERT_EQ(take(s).size(), 1u);
    s.done(0);
    clock.advance(10500ms);  // the loop stalled for 10 turns
    EXPECT_EQ(take(s).size(), 1u);
    s.done(0);
    EXPECT_TRUE(take(s).empty());
    EXPECT_GT(*s.next_wakeup(), clock.now());
    EXPECT_GE(s.skipped(), 9u);
}

TEST(Scheduler, BatchWindowWakesAtMostOncePerWindowAndNeverStartsLate) {
    // 10,000 targets every 10 s, woken exactly when next_wakeup() says: without a window that
    // is one wakeup per check; with 20 ms, at most one per 20 ms, each check at most 20 ms
    // early and never late, and still every target once per interval on its own grid.
    for (auto const batch : {std::chrono::nanoseconds(0), std::chrono::nanoseconds(20ms)}) {
        FakeClock clock;
        Scheduler s(clock, 100000, batch);
        for (std::size_t i = 0; i < 10000; ++i) {
            s.set(i, "10.0.0." + std::to_string(i) + ":80", 10s);
        }
        auto const end = clock.now() + 30s;
        std::size_t wakeups = 0;
        std::vector<int> runs(10000, 0);
        std::vector<SteadyTime> planned(10000);
        for (int guard = 0; guard < 100000 && clock.now() < end; ++guard) {
            auto const next = s.next_wakeup();
            ASSERT_TRUE(next);
            clock.now_ = std::max(clock.now_, *next);
            ++wakeups;
            for (auto const& d : take(s)) {
                EXPECT_LE(d.planned - clock.now(), batch);  // early by at most the window
                EXPECT_GE(d.planned, clock.now());          // and never late
                if (runs[d.id] > 0) {
                    EXPECT_EQ(d.planned - planned[d.id], 10s);  // on its grid
                }
                planned[d.id] = d.planned;
                runs[d.id] += 1;
                s.done(d.id);
            }
        }
        for (int r : runs) {
            EXPECT_GE(r, 2);
            EXPECT_LE(r, 4);
        }
        if (batch == std::chrono::nanoseconds(0)) {
            EXPECT_GT(wakeups, 25000u);  // about one per check
        } else {
            EXPECT_LE(wakeups, 30s / 20ms + 1);
            EXPECT_GT(wakeups, 30s / 20ms / 2);  // the checks stay spread over the interval
        }
    }
}

TEST(Scheduler, BatchWindowIsNotUsedForIntervalsUnderTenWindows) {
    FakeClock clock;
    Scheduler slow(clock, 10, 20ms);
    slow.set(0, "slow", 10s);
    clock.now_ = *slow.next_wakeup() - 10ms;
    EXPECT_EQ(take(slow).size(), 1u);  // 10 ms early: inside the window

    Scheduler fast(clock, 10, 20ms);
    fast.set(0, "fast", 100ms);  // under 10 x 20 ms: on time only
    auto const at = *fast.next_wakeup();
    clock.now_ = at - 10ms;
    EXPECT_TRUE(take(fast).empty());
    clock.now_ = at;
    auto const due = take(fast);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].planned, at);
}

}  // namespace
}  // namespace portwatch::driver
