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
