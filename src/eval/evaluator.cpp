#include "eval/evaluator.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace portwatch::eval {

std::string make_event_id(std::string const& key, EventKind kind, util::TimePoint time) {
    auto const us =
        std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    return fmt::format("{}-{}-{}", us, event_kind_name(kind), key);
}

namespace {

Event make_event(config::Target const& target, EventKind kind, Observation const& obs,
                 util::TimePoint now) {
    return Event{
        .id = make_event_id(target.key(), kind, now),
        .kind = kind,
        .key = target.key(),
        .host = target.host,
        .port = target.port,
        .description = target.description,
        .reason = kind == EventKind::down ? obs.reason : std::string(),
        .detail = obs.detail,
        .time = now,
    };
}

}  // namespace

Evaluation evaluate(config::Target const& target, std::optional<TargetState> const& previous,
                    Observation const& observation, Thresholds const& thresholds,
                    util::TimePoint now) {
    TargetState state = previous.value_or(TargetState{});
    bool const first_sighting = !previous.has_value() || previous->status == Status::unknown;
    state.last_check = now;
    if (observation.up) {
        state.consecutive_successes += 1;
        state.consecutive_failures = 0;
        state.reason.clear();
    } else {
        state.consecutive_failures += 1;
        state.consecutive_successes = 0;
        state.reason = observation.reason;
    }
    int const needed_failures = std::max(1, thresholds.failure);
    int const needed_successes = std::max(1, thresholds.success);

    Evaluation out;
    if (first_sighting) {
        // A new target takes its first confirmed status; only a failure is news by default.
        if (observation.up && state.consecutive_successes >= needed_successes) {
            state.status = Status::up;
            state.since = now;
            if (thresholds.notify_first_up) {
                out.event = make_event(target, EventKind::up, observation, now);
            }
        } else if (!observation.up && state.consecutive_failures >= needed_failures) {
            state.status = Status::down;
            state.since = now;
            out.event = make_event(target, EventKind::down, observation, now);
        }
    } else if (state.status == Status::up && !observation.up &&
               state.consecutive_failures >= needed_failures) {
        state.status = Status::down;
        state.since = now;
        out.event = make_event(target, EventKind::down, observation, now);
    } else if (state.status == Status::down && observation.up &&
               state.consecutive_successes >= needed_successes) {
        state.status = Status::up;
        state.since = now;
        out.event = make_event(target, EventKind::up, observation, now);
    }
    out.state = std::move(state);
    return out;
}

}  // namespace portwatch::eval
