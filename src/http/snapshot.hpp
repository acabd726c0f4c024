#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/event.hpp"
#include "util/time.hpp"

namespace portwatch::http {

/// Upper bounds (seconds) of the probe duration histogram buckets; +Inf is implied. They
/// reach 60 s, so a check that ran into a long timeout still lands in a bucket of its own.
inline constexpr std::array<double, 16> probe_duration_buckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5, 10, 30, 60};

/// What the HTTP layer may know of one target: a copy, never live state.
struct TargetView {
    std::string id;  ///< the target's name (unique, plain); a URL carries it percent-encoded once
    std::string name;
    std::string host;
    std::uint16_t port = 0;
    std::string description;
    std::string group;
    std::map<std::string, std::string> labels;

    eval::Status status = eval::Status::unknown;
    util::TimePoint since{};
    std::string reason;  ///< last failure reason ("" while up)
    std::string detail;
    std::chrono::microseconds last_latency{0};
    util::TimePoint last_check{};
    /// The last check's own outcome, before thresholds; empty before the first check.
    std::optional<bool> probe_success;

    /// Facts of the last check (kinds that see them: tls, http...); 0 or empty when absent.
    std::int64_t cert_not_after = 0;  ///< the leaf certificate's notAfter, Unix seconds
    std::string tls_version;          ///< "TLSv1.3"
    int http_status = 0;
    std::chrono::microseconds connect_time{0};  ///< phases, from the probe's start
    std::chrono::microseconds tls_time{0};
    std::chrono::microseconds first_byte_time{0};

    std::uint64_t checks_total = 0;
    std::map<std::string, std::uint64_t> failures_by_reason;
    std::uint64_t transitions_total = 0;
    /// Cumulative counts per probe_duration_buckets bound, then +Inf; and the sum (s).
    std::array<std::uint64_t, probe_duration_buckets.size() + 1> duration_counts{};
    double duration_sum = 0;
};

/// An outbox entry its destination refused for good (issue 15: HTTP 4xx but 408/429, SMTP 5xx,
/// a misconfigured notifier): never retried, removed from the outbox, kept here for the API.
struct RefusedNotification {
    std::string event_id;
    std::string destination;  ///< the notifier's name
    std::string key;          ///< the target's key
    std::string event;        ///< "down", "up", "cert-expiring", "cert-renewed"
    std::string message;
    std::string error;  ///< the last attempt's detail (secrets redacted by the notifier)
    int attempts = 0;
    util::TimePoint event_time{};
    util::TimePoint refused_at{};

    bool operator==(RefusedNotification const&) const = default;
};

/// One notification destination as /api/v1/daemon shows it.
struct DestinationView {
    std::string name;           ///< the notifier's name; "" = the seed list's default
    std::size_t pending = 0;    ///< entries held (in flight included)
    std::uint64_t refused = 0;  ///< permanent refusals this run (kept in the store, not retried)
    std::string last_error;     ///< of the last failed or refused attempt this run

    bool operator==(DestinationView const&) const = default;
};

/// Process-wide numbers.
struct ProcessView {
    std::string version;
    util::TimePoint started{};
    std::size_t outbox_size = 0;
    std::uint64_t notifications_sent = 0;
    std::uint64_t notifications_failed = 0;
    /// Per configured notifier (0 included): entries refused for good since the start.
    std::map<std::string, std::uint64_t> notifications_refused;
    /// Per configured notifier: entries dropped by the outbox's cap (issue 17 item 12).
    std::map<std::string, std::uint64_t> notifications_coalesced;
    /// The most recent refusals (at most 100), oldest first.
    std::vector<RefusedNotification> refused;
    /// Scheduling lateness (actual start - planned start), seconds, as a histogram.
    std::array<std::uint64_t, probe_duration_buckets.size() + 1> lateness_counts{};
    double lateness_sum = 0;
    bool config_loaded = false;
    bool store_writable = false;
    /// Whether the last (re)load of the config succeeded, and when one last did.
    bool last_reload_successful = true;
    util::TimePoint last_reload_success{};
    /// Canaries configured, and whether connectivity is up (always, without canaries).
    std::size_t canaries = 0;
    bool connectivity_up = true;
    /// Per destination with entries held or a failure this run, by name.
    std::vector<DestinationView> destinations;
};

/// An immutable picture of the daemon, published whole after each scheduling tick (or at a
/// bounded rate), read by HTTP without locks on the probe loop.
struct Snapshot {
    util::TimePoint taken{};
    std::vector<TargetView> targets;  ///< sorted by group, then name
    ProcessView process;
};

using SnapshotPtr = std::shared_ptr<Snapshot const>;

}  // namespace portwatch::http
