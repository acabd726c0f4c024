#include "eval/evaluator.hpp"

#include <gtest/gtest.h>

namespace portwatch::eval {
namespace {

using namespace std::chrono_literals;

config::Target const target{.host = "db", .port = 3306, .description = "DB"};
util::TimePoint const t0 = util::TimePoint(1'750'000'000s);
Observation const up{.up = true};
Observation const refused{.up = false, .reason = "refused", .detail = "connect: refused"};

TargetState state(Status s, int failures = 0, int successes = 0) {
    return TargetState{.status = s,
                       .since = t0 - 1h,
                       .consecutive_failures = failures,
                       .consecutive_successes = successes};
}

struct Case {
    char const* name;
    std::optional<TargetState> previous;
    Observation observation;
    Thresholds thresholds;
    Status expected_status;
    std::optional<EventKind> expected_event;
};

class EvaluateCases : public ::testing::TestWithParam<Case> {};

TEST_P(EvaluateCases, Transition) {
    auto const& c = GetParam();
    auto const out = evaluate(target, c.previous, c.observation, c.thresholds, t0);
    EXPECT_EQ(out.state.status, c.expected_status);
    EXPECT_EQ(out.state.last_check, t0);
    ASSERT_EQ(out.event.has_value(), c.expected_event.has_value());
    if (out.event) {
        EXPECT_EQ(out.event->kind, *c.expected_event);
        EXPECT_EQ(out.event->key, "db:3306");
        EXPECT_EQ(out.event->host, "db");
        EXPECT_EQ(out.event->port, 3306);
        EXPECT_EQ(out.event->description, "DB");
        EXPECT_EQ(out.event->time, t0);
        EXPECT_EQ(out.event->reason, c.observation.up ? "" : c.observation.reason);
        EXPECT_EQ(out.state.since, t0);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Seed, EvaluateCases,
    ::testing::Values(
        Case{"first_up_is_silent", std::nullopt, up, {}, Status::up, std::nullopt},
        Case{"first_up_notifies_when_asked",
             std::nullopt,
             up,
             {.notify_first_up = true},
             Status::up,
             EventKind::up},
        Case{"first_down_notifies", std::nullopt, refused, {}, Status::down, EventKind::down},
        Case{"unknown_counts_as_first",
             state(Status::unknown),
             refused,
             {},
             Status::down,
             EventKind::down},
        Case{"up_stays_up", state(Status::up), up, {}, Status::up, std::nullopt},
        Case{"up_to_down", state(Status::up), refused, {}, Status::down, EventKind::down},
        Case{"down_stays_down", state(Status::down, 1), refused, {}, Status::down, std::nullopt},
        Case{"down_to_up", state(Status::down, 1), up, {}, Status::up, EventKind::up},
        Case{"threshold_not_reached",
             state(Status::up),
             refused,
             {.failure = 3},
             Status::up,
             std::nullopt},
        Case{"threshold_reached",
             state(Status::up, 2),
             refused,
             {.failure = 3},
             Status::down,
             EventKind::down},
        Case{"success_threshold_not_reached",
             state(Status::down, 4),
             up,
             {.success = 2},
             Status::down,
             std::nullopt},
        Case{"success_threshold_reached",
             state(Status::down, 0, 1),
             up,
             {.success = 2},
             Status::up,
             EventKind::up},
        Case{"zero_threshold_means_one",
             state(Status::up),
             refused,
             {.failure = 0},
             Status::down,
             EventKind::down},
        Case{"first_down_waits_for_threshold",
             std::nullopt,
             refused,
             {.failure = 2},
             Status::unknown,
             std::nullopt}),
    [](auto const& info) { return info.param.name; });

TEST(Evaluate, CountersResetOnOppositeResult) {
    auto const a = evaluate(target, state(Status::up, 2), up, {.failure = 3}, t0);
    EXPECT_EQ(a.state.consecutive_failures, 0);
    EXPECT_EQ(a.state.consecutive_successes, 1);
    auto const b = evaluate(target, a.state, refused, {.failure = 3}, t0 + 1s);
    EXPECT_EQ(b.state.consecutive_failures, 1);
    EXPECT_EQ(b.state.consecutive_successes, 0);
    EXPECT_EQ(b.state.reason, "refused");
    EXPECT_FALSE(b.event);
}

TEST(Evaluate, SinceKeptWhileUnchanged) {
    auto const out = evaluate(target, state(Status::up), up, {}, t0);
    EXPECT_EQ(out.state.since, t0 - 1h);
}

TEST(Evaluate, ReasonFollowsLatestFailureWithoutEvent) {
    auto const first = evaluate(target, state(Status::up), refused, {}, t0);
    Observation const timeout{.up = false, .reason = "timeout"};
    auto const second = evaluate(target, first.state, timeout, {}, t0 + 1s);
    EXPECT_FALSE(second.event);
    EXPECT_EQ(second.state.reason, "timeout");
    EXPECT_EQ(second.state.since, t0);
}

TEST(Evaluate, IsPure) {
    auto const a = evaluate(target, state(Status::up), refused, {}, t0);
    auto const b = evaluate(target, state(Status::up), refused, {}, t0);
    EXPECT_EQ(a, b);
}

TEST(EventId, UniquePerKindKeyAndTime) {
    EXPECT_NE(make_event_id("a:1", EventKind::down, t0), make_event_id("a:1", EventKind::up, t0));
    EXPECT_NE(make_event_id("a:1", EventKind::down, t0), make_event_id("a:2", EventKind::down, t0));
    EXPECT_NE(make_event_id("a:1", EventKind::down, t0),
              make_event_id("a:1", EventKind::down, t0 + 1us));
}

}  // namespace
}  // namespace portwatch::eval
