#pragma once

#include "config/config.hpp"
#include "eval/evaluator.hpp"
#include "notify/message.hpp"

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

/// The message templates of a notifier's config (empty fields keep the seed's defaults).
inline notify::MessageTemplates templates_of(config::NotifierSpec const& n) {
    notify::MessageTemplates t;
    for (auto [slot, value] :
         {std::pair{&t.down, &n.down}, std::pair{&t.up, &n.up},
          std::pair{&t.down_bare, &n.down_bare}, std::pair{&t.up_bare, &n.up_bare}}) {
        if (!value->empty()) {
            *slot = *value;
        }
    }
    return t;
}

}  // namespace portwatch::driver
