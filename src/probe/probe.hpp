#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>

namespace portwatch::probe {

/// Why a probe failed. Each code has a stable short name (used in logs, state files and
/// metrics labels) and a message; see probe_error_name().
enum class ProbeError {
    none = 0,
    refused,              ///< connection refused (RST)
    timeout,              ///< no answer before the deadline
    host_unreachable,     ///< EHOSTUNREACH / ICMP host unreachable
    network_unreachable,  ///< ENETUNREACH
    dns_nxdomain,         ///< the name does not exist / has no address
    dns_timeout,          ///< the resolver did not answer before the deadline
    dns_failure,          ///< other resolver errors (SERVFAIL, bad name, ...)
    connect_failed,       ///< any other connect error (detail has errno text)
};

/// Stable short name: "refused", "timeout", "host-unreachable", "network-unreachable",
/// "dns-nxdomain", "dns-timeout", "dns-failure", "connect-failed"; "" for none.
char const* probe_error_name(ProbeError e);
/// Parses a name produced by probe_error_name (none for unknown input).
ProbeError probe_error_from_name(std::string const& name);

std::error_category const& probe_category();
std::error_code make_error_code(ProbeError e);

/// What to probe. Host is a name or an IP literal without brackets.
struct ProbeRequest {
    std::string host;
    std::uint16_t port = 0;
    std::chrono::milliseconds timeout{5000};

    bool operator==(ProbeRequest const&) const = default;
};

/// The outcome of one probe. Never thrown, always returned.
struct ProbeResult {
    bool up = false;
    ProbeError error = ProbeError::none;
    /// Human-readable detail, e.g. "connect to 127.0.0.1:9: Connection refused".
    std::string detail;
    /// Time from the start of the probe to connect (or to the failure).
    std::chrono::microseconds latency{0};
    /// The address that answered (or the last one tried), e.g. "127.0.0.1" or "::1".
    std::string address;
    /// The probe failed for a reason of this process, not of the target (no file descriptor
    /// came free within the timeout): the check says nothing about the target (UNKNOWN).
    bool local = false;

    bool operator==(ProbeResult const&) const = default;
};

}  // namespace portwatch::probe

namespace std {
template <>
struct is_error_code_enum<portwatch::probe::ProbeError> : true_type {};
}  // namespace std
