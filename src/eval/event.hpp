#pragma once

#include <cstdint>
#include <string>

#include "util/time.hpp"

namespace portwatch::eval {

enum class Status { unknown, up, down };
char const* status_name(Status s);  ///< "UP", "DOWN", "UNKNOWN" (the seed's spelling)

enum class EventKind { down, up };
char const* event_kind_name(EventKind k);  ///< "down" / "up" (PORTWATCH_EVENT)

/// A state transition to announce. Carries every value a notifier may need, so that a
/// delivery retried on a later run (from the outbox) says exactly what it would have said.
struct Event {
    std::string id;  ///< unique, stable across retries
    EventKind kind = EventKind::down;
    std::string key;  ///< "HOST:PORT"
    std::string host;
    std::uint16_t port = 0;
    std::string description;
    std::string reason;      ///< probe error name for down events ("refused", ...), "" for up
    std::string detail;      ///< human-readable probe detail
    util::TimePoint time{};  ///< when the check that caused it completed
    bool reminder = false;   ///< a repeated failure message for a target still DOWN

    bool operator==(Event const&) const = default;
};

}  // namespace portwatch::eval
