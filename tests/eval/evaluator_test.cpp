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

// Daemon features: a sequence of observations, one second apart, with the status after each
// and the events announced.
namespace daemon {

struct Step {
    bool up;
    Status status;
    char const* event;  // "", "down", "up", "reminder"
};

struct SeqCase {
    char const* name;
    Thresholds thresholds;
    std::vector<Step> steps;
};

std::string event_name(std::optional<Event> const& e) {
    if (!e) {
        return "";
    }
    return e->reminder ? "reminder" : event_kind_name(e->kind);
}

class Sequences : public ::testing::TestWithParam<SeqCase> {};

TEST_P(Sequences, StatusAndEventsPerCheck) {
    auto const& c = GetParam();
    std::optional<TargetState> s = state(Status::up, 0, 5);
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
        auto const& step = c.steps[i];
        auto const now = t0 + std::chrono::seconds(i);
        auto const out = evaluate(target, s, step.up ? up : refused, c.thresholds, now);
        EXPECT_EQ(out.state.status, step.status) << c.name << " step " << i;
        EXPECT_EQ(event_name(out.event), step.event) << c.name << " step " << i;
        s = out.state;
    }
}

constexpr bool U = true;
constexpr bool F = false;

INSTANTIATE_TEST_SUITE_P(
    Table, Sequences,
    ::testing::Values(
        SeqCase{"threshold_one_flips_each_way",
                {},
                {{F, Status::down, "down"}, {U, Status::up, "up"}, {F, Status::down, "down"}}},
        SeqCase{"three_failures_then_two_successes",
                {.failure = 3, .success = 2},
                {{F, Status::up, ""},
                 {F, Status::up, ""},
                 {U, Status::up, ""},  // a success resets the failure streak
                 {F, Status::up, ""},
                 {F, Status::up, ""},
                 {F, Status::down, "down"},
                 {F, Status::down, ""},
                 {U, Status::down, ""},
                 {F, Status::down, ""},  // a failure resets the success streak
                 {U, Status::down, ""},
                 {U, Status::up, "up"}}},
        SeqCase{"flap_window_catches_scattered_failures",
                {.failure = 5, .flap_failures = 3, .flap_window = 5},
                {{F, Status::up, ""},
                 {U, Status::up, ""},
                 {F, Status::up, ""},
                 {U, Status::up, ""},
                 {F, Status::down, "down"},  // 3 of the last 5
                 {U, Status::up, "up"},
                 {F, Status::up, ""},  // window restarted at the recovery
                 {F, Status::up, ""},
                 {F, Status::down, "down"}}},
        SeqCase{"flap_window_slides",
                {.failure = 9, .flap_failures = 2, .flap_window = 3},
                {{F, Status::up, ""},
                 {U, Status::up, ""},
                 {U, Status::up, ""},
                 {F, Status::up, ""},  // the first failure left the window
                 {U, Status::up, ""},
                 {F, Status::down, "down"}}},
        SeqCase{"reminders_while_down",
                {.failure = 1, .remind_every = 2s},
                {{F, Status::down, "down"},
                 {F, Status::down, ""},
                 {F, Status::down, "reminder"},
                 {F, Status::down, ""},
                 {F, Status::down, "reminder"},
                 {U, Status::up, "up"},
                 {F, Status::down, "down"},
                 {F, Status::down, ""}}}),
    [](auto const& info) { return std::string(info.param.name); });

TEST(Evaluate, UnknownObservationKeepsStatusAndStreaks) {
    auto const prev = state(Status::up, 2, 0);
    Observation unknown = refused;
    unknown.unknown = true;
    auto const out = evaluate(target, prev, unknown, Thresholds{.failure = 3}, t0);
    EXPECT_FALSE(out.event);
    EXPECT_EQ(out.state.status, Status::up);
    EXPECT_EQ(out.state.consecutive_failures, 2);
    EXPECT_EQ(out.state.last_check, t0);
    // The next real failure completes the streak.
    auto const next = evaluate(target, out.state, refused, Thresholds{.failure = 3}, t0 + 1s);
    EXPECT_EQ(next.state.status, Status::down);
    ASSERT_TRUE(next.event);
}

TEST(Evaluate, UnknownFirstSightingStaysUnknown) {
    Observation unknown = refused;
    unknown.unknown = true;
    auto const out = evaluate(target, std::nullopt, unknown, Thresholds{}, t0);
    EXPECT_EQ(out.state.status, Status::unknown);
    EXPECT_FALSE(out.event);
}

TEST(Evaluate, ThresholdLoweredOnReloadMidStreakAppliesAtTheNextCheck) {
    // Two failures under threshold 5; reloaded with threshold 2: the next failure is DOWN.
    auto s = evaluate(target, state(Status::up, 0, 3), refused, Thresholds{.failure = 5}, t0);
    s = evaluate(target, s.state, refused, Thresholds{.failure = 5}, t0 + 1s);
    EXPECT_EQ(s.state.status, Status::up);
    auto const out = evaluate(target, s.state, refused, Thresholds{.failure = 2}, t0 + 2s);
    EXPECT_EQ(out.state.status, Status::down);
    ASSERT_TRUE(out.event);
    EXPECT_EQ(out.event->kind, EventKind::down);
}

TEST(Evaluate, ThresholdRaisedOnReloadMidStreakWaitsForTheLongerStreak) {
    auto s = evaluate(target, state(Status::down, 5, 0), up, Thresholds{.success = 2}, t0);
    EXPECT_EQ(s.state.status, Status::down);
    s = evaluate(target, s.state, up, Thresholds{.success = 4}, t0 + 1s);
    EXPECT_EQ(s.state.status, Status::down);
    s = evaluate(target, s.state, up, Thresholds{.success = 4}, t0 + 2s);
    EXPECT_EQ(s.state.status, Status::down);
    s = evaluate(target, s.state, up, Thresholds{.success = 4}, t0 + 3s);
    EXPECT_EQ(s.state.status, Status::up);
    ASSERT_TRUE(s.event);
    EXPECT_EQ(s.event->kind, EventKind::up);
}

TEST(Evaluate, RemindersSwitchedOnWhileDownCountFromSince) {
    auto const prev = state(Status::down, 10, 0);  // since = t0 - 1h
    auto const out = evaluate(target, prev, refused, Thresholds{.remind_every = 30min}, t0);
    ASSERT_TRUE(out.event);
    EXPECT_TRUE(out.event->reminder);
    EXPECT_EQ(out.state.last_alert, t0);
    EXPECT_NE(out.event->id, make_event_id(target.key(), EventKind::down, t0));
}

TEST(Evaluate, FlapWindowOf64) {
    Thresholds const th{.failure = 100, .flap_failures = 64, .flap_window = 64};
    std::optional<TargetState> s = state(Status::up);
    for (int i = 0; i < 63; ++i) {
        s = evaluate(target, s, refused, th, t0 + std::chrono::seconds(i)).state;
        ASSERT_EQ(s->status, Status::up) << i;
    }
    auto const out = evaluate(target, s, refused, th, t0 + 64s);
    EXPECT_EQ(out.state.status, Status::down);
}

}  // namespace daemon

// Certificate warnings: once when the certificate comes within expiry_warn, a reminder per
// remind_every, nothing more in between, and cert_renewed when a later one is seen.
TEST(CertificateWarning, FirstReminderQuietAndRenewed) {
    std::int64_t const now_s = 1'750'000'000;
    Thresholds const th{.remind_every = 24h, .expiry_warn = 14 * 24h};
    Observation obs{.up = true, .cert_not_after = now_s + 5 * 86400};
    auto const first = evaluate(target, state(Status::up), obs, th, t0);
    ASSERT_TRUE(first.cert_event);
    EXPECT_FALSE(first.event);
    EXPECT_EQ(first.cert_event->kind, EventKind::cert_expiring);
    EXPECT_FALSE(first.cert_event->reminder);
    EXPECT_EQ(first.cert_event->cert_not_after, obs.cert_not_after);
    EXPECT_EQ(first.state.cert_warned, obs.cert_not_after);

    auto const quiet = evaluate(target, first.state, obs, th, t0 + 1h);
    EXPECT_FALSE(quiet.cert_event);

    auto const reminder = evaluate(target, quiet.state, obs, th, t0 + 25h);
    ASSERT_TRUE(reminder.cert_event);
    EXPECT_TRUE(reminder.cert_event->reminder);
    EXPECT_NE(reminder.cert_event->id, first.cert_event->id);

    Observation renewed{.up = true, .cert_not_after = now_s + 90 * 86400};
    auto const after = evaluate(target, reminder.state, renewed, th, t0 + 26h);
    ASSERT_TRUE(after.cert_event);
    EXPECT_EQ(after.cert_event->kind, EventKind::cert_renewed);
    EXPECT_EQ(after.state.cert_warned, 0);
    EXPECT_FALSE(evaluate(target, after.state, renewed, th, t0 + 50h).cert_event);
}

TEST(CertificateWarning, OffWithoutExpiryWarnOrCertificateAndAlongsideRecovery) {
    std::int64_t const now_s = 1'750'000'000;
    Observation obs{.up = true, .cert_not_after = now_s + 86400};
    EXPECT_FALSE(evaluate(target, state(Status::up), obs, Thresholds{}, t0).cert_event);
    Thresholds const th{.expiry_warn = 14 * 24h};
    EXPECT_FALSE(evaluate(target, state(Status::up), up, th, t0).cert_event);
    // A recovery and a warning in one check: both are announced.
    auto const both = evaluate(target, state(Status::down, 3), obs, th, t0);
    ASSERT_TRUE(both.event);
    EXPECT_EQ(both.event->kind, EventKind::up);
    EXPECT_EQ(both.event->down_since, t0 - 1h);
    ASSERT_TRUE(both.cert_event);
    EXPECT_EQ(both.cert_event->kind, EventKind::cert_expiring);
    // An expired certificate counts as expiring (the probe decides whether it is DOWN).
    Observation expired{.up = true, .cert_not_after = now_s - 10};
    EXPECT_TRUE(evaluate(target, state(Status::up), expired, th, t0).cert_event);
}

TEST(IncidentStart, DownRemindersAndUpCarryIt) {
    Thresholds const th{.remind_every = 1min};
    auto const down = evaluate(target, state(Status::up), refused, th, t0);
    ASSERT_TRUE(down.event);
    EXPECT_EQ(down.event->down_since, t0);
    auto const reminder = evaluate(target, down.state, refused, th, t0 + 2min);
    ASSERT_TRUE(reminder.event);
    EXPECT_EQ(reminder.event->down_since, t0);
    EXPECT_EQ(reminder.event->incident_id(), down.event->incident_id());
    auto const back = evaluate(target, reminder.state, up, th, t0 + 3min);
    ASSERT_TRUE(back.event);
    EXPECT_EQ(back.event->incident_id(), down.event->incident_id());
}

}  // namespace
}  // namespace portwatch::eval
