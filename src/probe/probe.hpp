#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "probe/error.hpp"

namespace portwatch::probe {

/// A kind's parsed options (each kind derives its own); see Kind::parse_options.
struct KindOptions {
    virtual ~KindOptions() = default;
};

/// What a kind learned on the way besides up or down, for reports, metrics and warnings.
/// Zero or empty when not measured.
struct ProbeFacts {
    /// The leaf certificate's notAfter in Unix seconds (TLS and STARTTLS, HTTPS); read even
    /// when verification failed or is off. 0: no certificate seen.
    std::int64_t cert_not_after = 0;
    /// The leaf's subject and issuer (one line each, RFC 2253), for details and the API.
    std::string cert_subject;
    std::string cert_issuer;
    /// The negotiated protocol ("TLSv1.3"); empty without TLS.
    std::string tls_version;
    /// The last HTTP response's status code; 0 without one.
    int http_status = 0;
    /// Durations of the probe's phases from its start (0: the phase did not happen).
    std::chrono::microseconds connect_time{0};
    std::chrono::microseconds tls_time{0};
    std::chrono::microseconds first_byte_time{0};

    bool operator==(ProbeFacts const&) const = default;
};

/// What to probe. Host is a name or an IP literal without brackets.
struct ProbeRequest {
    /// A name from the registry; "tcp" takes the engine's fast path (connected = up).
    std::string kind = "tcp";
    std::string host;
    std::uint16_t port = 0;
    std::chrono::milliseconds timeout{5000};
    /// The kind's options, parsed once at load; null for tcp.
    std::shared_ptr<KindOptions const> options;

    bool operator==(ProbeRequest const&) const = default;
};

/// The outcome of one probe. Never thrown, always returned.
struct ProbeResult {
    bool up = false;
    /// Why it failed: a ProbeError, or a kind's own code (same conditions); empty when up.
    std::error_code error;
    /// Human-readable detail, e.g. "connect to 127.0.0.1:9: Connection refused".
    std::string detail;
    /// Time from the start of the probe to the end of its steps (or to the failure).
    std::chrono::microseconds latency{0};
    /// The address that answered (or the last one tried), e.g. "127.0.0.1" or "::1".
    std::string address;
    /// What the kind measured besides the verdict (certificate, HTTP status, phases).
    ProbeFacts facts;

    /// The probe failed for a reason of this process, not of the target (no file descriptor
    /// came free within the timeout): the check says nothing about the target (UNKNOWN).
    bool is_local() const { return error == ProbeCondition::host_failed; }
    /// The engine stopped before the probe ended.
    bool is_cancelled() const { return error == ProbeCondition::cancelled; }
    /// The stable short name of the error ("refused", ...); "" when up.
    std::string reason() const { return reason_name(error); }

    bool operator==(ProbeResult const&) const = default;
};

}  // namespace portwatch::probe
