#pragma once

#include "config/config.hpp"
#include "eval/evaluator.hpp"

namespace portwatch::driver {

/// The evaluator's thresholds for a target's config.
inline eval::Thresholds thresholds_of(config::ThresholdSpec const& t) {
    return eval::Thresholds{.failure = t.failure,
                            .success = t.success,
                            .notify_first_up = t.notify_first_up,
                            .flap_failures = t.flap_failures,
                            .flap_window = t.flap_window,
                            .remind_every = t.remind_every};
}

/// The evaluator's remind_every for a target checked every `interval`: reminders can only
/// come with a check, at its completion time, which jitters by the probe's latency. Taken
/// as it is, a check that completes a millisecond sooner after the grid point than the DOWN
/// check did misses it and the reminder comes one interval late. Shortened by half the gap
/// between the last check before `remind_every` and the first at or after it, the reminder
/// comes with the first check at or after remind_every, never one before.
inline std::chrono::milliseconds remind_on_grid(std::chrono::milliseconds remind_every,
                                                std::chrono::milliseconds interval) {
    if (remind_every.count() <= 0 || interval.count() <= 0) {
        return remind_every;
    }
    auto const rest = remind_every % interval;
    auto const gap = rest.count() == 0 ? interval : rest;
    return remind_every - gap / 2;
}

}  // namespace portwatch::driver
