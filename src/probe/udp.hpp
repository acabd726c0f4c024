#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "probe/kind.hpp"

namespace portwatch::probe {

/// Why a udp probe failed, beyond the engine's codes (an ICMP port unreachable is the
/// engine's `refused`).
enum class UdpError {
    timeout = 1,  ///< "udp-timeout": no reply to any send before the deadline
    mismatch,     ///< "udp-mismatch": a reply that does not match expect / expect_hex
};

/// The udp kind's category ("portwatch.probe.udp").
ProbeCategory const& udp_category();
std::error_code make_error_code(UdpError e);

/// `kind: udp`: sends `send` (or `send_hex`) on a connected UDP socket to the first resolved
/// address, resends it `retries` times within the deadline, and is up on the first reply that
/// matches `expect` (a regex) or `expect_hex` (a prefix); any reply when neither is set.
class UdpKind final : public Kind {
  public:
    constexpr UdpKind() : Kind("udp", Transport::datagram, true) {}
    ProbeCategory const* errors() const override { return &udp_category(); }
    std::shared_ptr<KindOptions const> parse_options(config::OptionBag const& bag,
                                                     config::Diagnostics& out) const override;
    void run_datagram(DatagramStep step, StepDone done) const override;
};

/// The one instance, for the registry.
extern UdpKind const udp_kind;

/// `send` escapes: \r \n \t \0 \\ and \xHH; nullopt on a bad escape.
std::optional<std::string> unescape(std::string_view text);
/// Hex digits (whitespace ignored) to bytes; nullopt when malformed.
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace portwatch::probe

namespace std {
template <>
struct is_error_code_enum<portwatch::probe::UdpError> : true_type {};
}  // namespace std
