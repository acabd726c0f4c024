#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <system_error>

namespace portwatch::notify {

/// Why a delivery failed. Each code maps to one DeliveryCondition; the outbox acts on the
/// condition only, never on the text of `detail`.
enum class DeliveryError {
    exit_status = 1,    ///< the notifier program exited with a status other than 0
    killed_by_signal,   ///< the notifier program died of a signal we did not send
    timed_out,          ///< no answer within the delivery's timeout (killed, if a process)
    cannot_execute,     ///< exec failed (missing, not executable, bad interpreter)
    cannot_start,       ///< fork, pipes, chdir or another step before exec failed
    cancelled,          ///< the notifier shut down (reload, stop) before an answer
    http_status,        ///< the server answered with a 5xx (or another retryable) status
    rate_limited,       ///< the server asked us to slow down (429), see retry_after
    rejected,           ///< the server refused the message for good (4xx but 408/429)
    connection_failed,  ///< could not reach the server (DNS, connect, TLS)
    misconfigured,      ///< the notifier has no usable settings (no command, bad URL)
    unknown_status,     ///< the outcome is unknown (child reaped elsewhere)
};

/// What the dispatcher does about a failure.
enum class DeliveryCondition {
    retryable = 1,  ///< retry with backoff
    timeout,        ///< retry with backoff; counts towards the destination's breaker
    permanent,      ///< never retry this entry (kept, marked, logged loudly)
    cancelled,      ///< not a failure: retry as soon as the destination can run it again
};

/// The category of DeliveryError ("portwatch.notify").
std::error_category const& delivery_category();
/// The category of DeliveryCondition ("portwatch.notify.condition").
std::error_category const& delivery_condition_category();
std::error_code make_error_code(DeliveryError e);
std::error_condition make_error_condition(DeliveryCondition c);

/// The short name of a code ("exit_status", "timed_out", ...), for logs and stored state.
char const* delivery_error_name(DeliveryError e);

/// The outcome of one delivery. Success is an empty `error`.
struct DeliveryResult {
    std::error_code error;
    /// What happened, for the log ("exit status 1: ...", "timed out after 30 s").
    std::string detail;
    /// The destination asked to wait at least this long before the next attempt.
    std::optional<std::chrono::seconds> retry_after;

    bool ok() const { return !error; }
    bool operator==(DeliveryResult const&) const = default;
};

}  // namespace portwatch::notify

namespace std {
template <>
struct is_error_code_enum<portwatch::notify::DeliveryError> : true_type {};
template <>
struct is_error_condition_enum<portwatch::notify::DeliveryCondition> : true_type {};
}  // namespace std
