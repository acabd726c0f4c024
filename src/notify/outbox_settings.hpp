#pragma once

#include <chrono>
#include <cstddef>

namespace portwatch::notify {

/// What one destination of the outbox may do: its notifier's `timeout:` and `concurrency:`.
struct DestinationSettings {
    std::chrono::milliseconds timeout{30000};
    std::size_t concurrency = 0;  ///< deliveries at once to it; 0 = only the global cap
    /// Its notifier groups alert storms (grouping.hpp): every due entry is handed to it at
    /// once, past both caps, so that a storm's events meet in one window.
    bool grouped = false;

    bool operator==(DestinationSettings const&) const = default;
};

}  // namespace portwatch::notify
