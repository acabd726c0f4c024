#pragma once

#include <chrono>
#include <optional>

#include "util/time.hpp"

namespace portwatch::notify {

/// When to retry a failed delivery, and when to give up on it.
struct RetryPolicy {
    std::chrono::seconds base{60};                ///< wait after the first failure
    std::chrono::seconds max{3600};               ///< longest wait between attempts
    std::chrono::seconds max_age{7 * 24 * 3600};  ///< older entries are dropped (see expired())
    /// An entry is only dropped as too old once it has failed at least this often, so that a
    /// clock step alone (an event stamped days "ago" by a wrong clock) never drops it.
    int min_attempts_to_expire = 3;

    bool operator==(RetryPolicy const&) const = default;
};

/// Pure: the wait after the `attempts`-th failure in a row: base, 2 base, 4 base ... capped at
/// max, and never shorter than what the destination asked for (retry_after, capped at max).
std::chrono::seconds retry_delay(int attempts, std::optional<std::chrono::seconds> retry_after,
                                 RetryPolicy const& policy);

// Clock steps. Within a process the dispatcher measures waits and ages on the steady clock,
// which no step moves. What crosses runs is wall time (the event's time, the stored
// next_attempt), so it is bounded where it enters:
//  - a stored next_attempt more than policy.max in the future of now cannot come from a
//    backoff: the clock that wrote it ran ahead, and the entry is due at once (capping it
//    would stall it forever, since each run would cap again from its own now);
//  - an event time in the future counts as now (age 0);
//  - an old-looking event is dropped only after it also failed min_attempts_to_expire times:
//    a clock that was behind when the event was stamped makes it look old, but it is then
//    still delivered, and only an entry that really keeps failing is given up on.

/// Pure: how long from `now` until a stored next_attempt: 0 when it is past or implausibly
/// far (more than policy.max) ahead.
std::chrono::seconds bounded_wait(util::TimePoint next_attempt, util::TimePoint now,
                                  RetryPolicy const& policy);

/// Pure: the age of an event at `now`, 0 when its time is in the future.
std::chrono::seconds wall_age(util::TimePoint event_time, util::TimePoint now);

/// Pure: whether an entry of this age that failed `attempts` times is given up on.
bool expired(std::chrono::seconds age, int attempts, RetryPolicy const& policy);

}  // namespace portwatch::notify
