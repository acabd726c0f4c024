#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "config/target.hpp"
#include "eval/event.hpp"
#include "util/time.hpp"

namespace portwatch::eval {

/// What the evaluator remembers of a target between checks.
struct TargetState {
    Status status = Status::unknown;
    util::TimePoint since{};        ///< when `status` began (first check that confirmed it)
    std::string reason;             ///< last failure reason ("" while up)
    int consecutive_failures = 0;   ///< failed checks in a row (reset by a success)
    int consecutive_successes = 0;  ///< good checks in a row (reset by a failure)
    util::TimePoint last_check{};

    bool operator==(TargetState const&) const = default;
};

/// One check's outcome, as the evaluator needs it (no I/O types).
struct Observation {
    bool up = false;
    std::string reason;  ///< short error name when down ("refused", "timeout", ...)
    std::string detail;
};

struct Thresholds {
    int failure = 1;  ///< consecutive failures before an UP (or new) target is DOWN
    int success = 1;  ///< consecutive successes before a DOWN target is UP
    /// Announce a first-seen UP target as a recovery, as the seed script did.
    bool notify_first_up = false;

    bool operator==(Thresholds const&) const = default;
};

struct Evaluation {
    TargetState state;
    std::optional<Event> event;

    bool operator==(Evaluation const&) const = default;
};

/// Pure: the next state of `target` and the event to announce, if any.
/// `previous` is empty for a target never seen before. `now` is the time of the check.
Evaluation evaluate(config::Target const& target, std::optional<TargetState> const& previous,
                    Observation const& observation, Thresholds const& thresholds,
                    util::TimePoint now);

/// A stable id for an event: unique per target, kind and time.
std::string make_event_id(std::string const& key, EventKind kind, util::TimePoint time);

}  // namespace portwatch::eval
