#include "notify/retry.hpp"

#include <algorithm>

namespace portwatch::notify {

using std::chrono::seconds;

seconds retry_delay(int attempts, std::optional<seconds> retry_after, RetryPolicy const& policy) {
    auto delay = policy.base;
    for (int i = 1; i < attempts && delay < policy.max; ++i) {
        delay *= 2;
    }
    delay = std::min(delay, policy.max);
    if (retry_after) {
        delay = std::max(delay, std::min(*retry_after, policy.max));
    }
    return delay;
}

seconds bounded_wait(util::TimePoint next_attempt, util::TimePoint now, RetryPolicy const& policy) {
    if (next_attempt <= now) {
        return seconds(0);
    }
    auto const wait = std::chrono::ceil<seconds>(next_attempt - now);
    // No backoff ever put an attempt more than policy.max ahead of the clock that wrote it:
    // one that far ahead of now was written by a clock that ran ahead (now corrected). Capping
    // it at policy.max would still stall it, run after run (each run re-caps from its own
    // now); it is due now instead.
    return wait > policy.max ? seconds(0) : wait;
}

seconds wall_age(util::TimePoint event_time, util::TimePoint now) {
    if (event_time >= now) {
        return seconds(0);
    }
    return std::chrono::floor<seconds>(now - event_time);
}

bool expired(seconds age, int attempts, RetryPolicy const& policy) {
    return age > policy.max_age && attempts >= policy.min_attempts_to_expire;
}

}  // namespace portwatch::notify
