#pragma once

#include <chrono>
#include <cstdint>
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
    /// The last checks for the flap window, newest in bit 0 (1 = failed); only kept while a
    /// flap window is configured, and cleared when the target comes back UP.
    std::uint64_t recent_failures = 0;
    /// When the last failure message (transition or reminder) was announced; only kept
    /// while reminders are configured.
    util::TimePoint last_alert{};
    /// The certificate (its notAfter, Unix seconds) a cert-expiring warning was sent for, and
    /// when the last one (first or reminder) went out; 0 / zero when no warning stands.
    std::int64_t cert_warned = 0;
    util::TimePoint cert_warned_at{};

    bool operator==(TargetState const&) const = default;
};

/// One check's outcome, as the evaluator needs it (no I/O types).
struct Observation {
    bool up = false;
    std::string reason;  ///< short error name when down ("refused", "timeout", ...)
    std::string detail;
    /// The result cannot be trusted (the connectivity self-check failed): the state keeps
    /// its status and streaks, nothing is announced.
    bool unknown = false;
    /// The leaf certificate's notAfter (Unix seconds) when the check saw one; 0 otherwise.
    std::int64_t cert_not_after = 0;
};

struct Thresholds {
    int failure = 1;  ///< consecutive failures before an UP (or new) target is DOWN
    int success = 1;  ///< consecutive successes before a DOWN target is UP
    /// Announce a first-seen UP target as a recovery, as the seed script did.
    bool notify_first_up = false;
    /// Also DOWN when `flap_failures` of the last `flap_window` checks failed (window <= 64);
    /// 0 disables it.
    int flap_failures = 0;
    int flap_window = 0;
    /// Repeat the failure as a reminder event while DOWN, at most this often; 0 = never.
    std::chrono::milliseconds remind_every{0};
    /// Warn when the certificate expires within this long (TLS kinds); 0 = never. The warning
    /// is repeated per remind_every while it stands, and a renewed certificate ends it.
    std::chrono::seconds expiry_warn{0};

    bool operator==(Thresholds const&) const = default;
};

struct Evaluation {
    TargetState state;
    std::optional<Event> event;
    /// A certificate warning (cert_expiring, cert_renewed) of the same check, if any.
    std::optional<Event> cert_event;

    bool operator==(Evaluation const&) const = default;
};

/// Pure: the next state of `target` and the event to announce, if any.
/// `previous` is empty for a target never seen before. `now` is the time of the check.
/// Thresholds may change between calls (a reload): the streaks kept in the state are
/// compared with the thresholds of the current call.
Evaluation evaluate(config::Target const& target, std::optional<TargetState> const& previous,
                    Observation const& observation, Thresholds const& thresholds,
                    util::TimePoint now);

/// A stable id for an event: unique per target, kind and time.
std::string make_event_id(std::string const& key, EventKind kind, util::TimePoint time);

}  // namespace portwatch::eval
