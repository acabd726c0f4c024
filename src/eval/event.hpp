#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/time.hpp"

namespace portwatch::eval {

enum class Status { unknown, up, down };
char const* status_name(Status s);  ///< "UP", "DOWN", "UNKNOWN" (the seed's spelling)

/// What an event announces: a target went DOWN or came back UP; its certificate expires
/// within the target's `expiry_warn` (sent once, then per `remind_every`), or a renewed
/// certificate ended that warning.
enum class EventKind { down, up, cert_expiring, cert_renewed };
/// "down", "up", "cert-expiring", "cert-renewed" (PORTWATCH_EVENT, stored outbox entries).
char const* event_kind_name(EventKind k);
/// The inverse of event_kind_name(); nullopt for an unknown name.
std::optional<EventKind> event_kind_from_name(std::string_view name);

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
    /// The target's config name (its key for `.lst` targets), group and labels; empty when
    /// not known (events stored by earlier versions).
    std::string name;
    std::string group;
    std::map<std::string, std::string> labels;
    /// When the target went DOWN (down, reminder and up events: the incident's start), for
    /// {duration} and incident ids; zero when unknown.
    util::TimePoint down_since{};
    /// cert_* events: the certificate's notAfter in Unix seconds.
    std::int64_t cert_not_after = 0;

    /// A stable id of the incident (or certificate warning) this event belongs to: the key
    /// and the start time, e.g. for PagerDuty's dedup_key and mail threading.
    std::string incident_id() const;

    bool operator==(Event const&) const = default;
};

}  // namespace portwatch::eval
