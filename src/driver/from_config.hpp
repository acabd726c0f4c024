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

}  // namespace portwatch::driver
