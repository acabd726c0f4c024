#pragma once

#include <chrono>
#include <cstddef>

namespace portwatch::notify {

/// What one destination of the outbox may do: its notifier's `timeout:` and `concurrency:`.
struct DestinationSettings {
    std::chrono::milliseconds timeout{30000};
    std::size_t concurrency = 0;  ///< deliveries at once to it; 0 = only the global cap

    bool operator==(DestinationSettings const&) const = default;
};

}  // namespace portwatch::notify
