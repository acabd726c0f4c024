#include "eval/evaluator.hpp"

#include <algorithm>
#include <bit>

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
        .cert_not_after = obs.cert_not_after,
    };
}

std::int64_t unix_seconds(util::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

/// The certificate warning of an up check: the first when the certificate comes within
/// expiry_warn, a reminder per remind_every, and cert_renewed when a certificate outside
/// the window replaces the one warned about.
std::optional<Event> cert_warning(config::Target const& target, TargetState& state,
                                  Observation const& obs, Thresholds const& th,
                                  util::TimePoint now) {
    if (th.expiry_warn.count() <= 0 || obs.cert_not_after == 0) {
        if (th.expiry_warn.count() <= 0) {
            state.cert_warned = 0;  // switched off: nothing stands
            state.cert_warned_at = {};
        }
        return std::nullopt;
    }
    bool const expiring = obs.cert_not_after - unix_seconds(now) <= th.expiry_warn.count();
    auto event = [&](EventKind kind) {
        auto e = make_event(target, kind, obs, now);
        e.reason.clear();
        return e;
    };
    if (expiring) {
        if (state.cert_warned != obs.cert_not_after) {
            state.cert_warned = obs.cert_not_after;
            state.cert_warned_at = now;
            return event(EventKind::cert_expiring);
        }
        if (th.remind_every.count() > 0 && now - state.cert_warned_at >= th.remind_every) {
            state.cert_warned_at = now;
            auto e = event(EventKind::cert_expiring);
            e.reminder = true;
            e.id += "-reminder";
            return e;
        }
        return std::nullopt;
    }
    if (state.cert_warned != 0) {
        state.cert_warned = 0;
        state.cert_warned_at = {};
        return event(EventKind::cert_renewed);
    }
    return std::nullopt;
}

}  // namespace

Evaluation evaluate(config::Target const& target, std::optional<TargetState> const& previous,
                    Observation const& observation, Thresholds const& thresholds,
                    util::TimePoint now) {
    TargetState state = previous.value_or(TargetState{});
    Evaluation out;
    state.last_check = now;
    if (observation.unknown) {
        out.state = std::move(state);
        return out;
    }
    bool const first_sighting = !previous.has_value() || previous->status == Status::unknown;
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
    int const window = std::clamp(thresholds.flap_window, 0, 64);
    bool flapping = false;
    if (window > 0 && thresholds.flap_failures > 0) {
        std::uint64_t const mask = window == 64 ? ~0ULL : (1ULL << window) - 1;
        state.recent_failures = ((state.recent_failures << 1) | (observation.up ? 0 : 1)) & mask;
        flapping = std::popcount(state.recent_failures) >= thresholds.flap_failures;
    } else {
        state.recent_failures = 0;
    }
    bool const down_now =
        !observation.up && (state.consecutive_failures >= needed_failures || flapping);
    bool const up_now = observation.up && state.consecutive_successes >= needed_successes;
    bool const reminders = thresholds.remind_every.count() > 0;

    auto go_down = [&] {
        state.status = Status::down;
        state.since = now;
        if (reminders) {
            state.last_alert = now;
        }
        out.event = make_event(target, EventKind::down, observation, now);
        out.event->down_since = now;
    };
    auto go_up = [&](bool announce) {
        auto const down_since = state.status == Status::down ? state.since : util::TimePoint{};
        state.status = Status::up;
        state.since = now;
        state.recent_failures = 0;  // the flap window restarts after a recovery
        state.last_alert = {};
        if (announce) {
            out.event = make_event(target, EventKind::up, observation, now);
            out.event->down_since = down_since;
        }
    };

    if (first_sighting) {
        // A new target takes its first confirmed status; only a failure is news by default.
        if (up_now) {
            go_up(thresholds.notify_first_up);
        } else if (down_now) {
            go_down();
        }
    } else if (state.status == Status::up && down_now) {
        go_down();
    } else if (state.status == Status::down && up_now) {
        go_up(true);
    } else if (state.status == Status::down && !observation.up && reminders) {
        if (state.last_alert == util::TimePoint{}) {
            state.last_alert = state.since;  // reminders switched on while already down
        }
        if (now - state.last_alert >= thresholds.remind_every) {
            state.last_alert = now;
            out.event = make_event(target, EventKind::down, observation, now);
            out.event->down_since = state.since;
            out.event->reminder = true;
            out.event->id += "-reminder";
        }
    }
    if (observation.up) {
        out.cert_event = cert_warning(target, state, observation, thresholds, now);
    }
    out.state = std::move(state);
    return out;
}

}  // namespace portwatch::eval
