#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace portwatch::probe {

/// Why a probe failed, for what the engine itself does (DNS, connect, deadline, fds). Each
/// code has a stable short name (logs, state files, metrics labels) and a message. Kinds with
/// protocol steps bring their own enum and ProbeCategory, mapped to the same conditions.
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
    cancelled,            ///< the engine stopped before the probe ended
    no_file_descriptor,   ///< no socket could be opened within the timeout (EMFILE/ENFILE)
    unsupported_kind,     ///< the request names a kind that this build does not have
};

/// What a failure says, whatever the kind that reported it.
enum class ProbeCondition {
    target_failed = 1,  ///< the target did not answer as it should: DOWN
    host_failed,        ///< this process could not probe (no fd, no such kind): UNKNOWN
    cancelled,          ///< the probe was stopped before it ended
};

/// A category whose codes have stable short names: every probe error category derives from
/// it, so reason_name() can name any probe error_code.
class ProbeCategory : public std::error_category {
  public:
    /// The stable short name of code `ev` ("" for 0 and unknown codes).
    virtual char const* name_of(int ev) const noexcept = 0;
    /// The code named `name`, or 0 when this category has no such name.
    virtual int from_name(std::string_view name) const noexcept = 0;
};

/// Stable short name: "refused", "timeout", "host-unreachable", "network-unreachable",
/// "dns-nxdomain", "dns-timeout", "dns-failure", "connect-failed", "cancelled",
/// "no-file-descriptor", "unsupported-kind"; "" for none.
char const* probe_error_name(ProbeError e);
/// Parses a name produced by probe_error_name (none for unknown input).
ProbeError probe_error_from_name(std::string_view name);

/// The engine's category ("portwatch.probe").
ProbeCategory const& probe_category();
/// The conditions' category ("portwatch.probe.condition").
std::error_category const& probe_condition_category();
std::error_code make_error_code(ProbeError e);
std::error_condition make_error_condition(ProbeCondition c);

/// The stable short name of any probe error: "" for success, name_of() for a ProbeCategory,
/// "CATEGORY:VALUE" for a foreign category (never expected from the engine).
std::string reason_name(std::error_code ec);

}  // namespace portwatch::probe

namespace std {
template <>
struct is_error_code_enum<portwatch::probe::ProbeError> : true_type {};
template <>
struct is_error_condition_enum<portwatch::probe::ProbeCondition> : true_type {};
}  // namespace std
