#pragma once

#include "probe/kind.hpp"

namespace portwatch::probe {

/// Why an icmp probe failed.
enum class IcmpError {
    timeout = 1,  ///< "icmp-timeout": no echo reply before the deadline
    unreachable,  ///< "icmp-unreachable": the network said the host cannot be reached
    permission,   ///< "icmp-permission": neither ping sockets nor raw sockets are allowed here
};

/// The icmp kind's category ("portwatch.probe.icmp"); icmp-permission is a host failure.
ProbeCategory const& icmp_category();
std::error_code make_error_code(IcmpError e);

/// `kind: icmp`: echo requests to the first resolved address (IPv4 or IPv6), `count` of them
/// one after the other (default 1) with `payload_size` bytes (default 56); up when one is
/// answered. Uses an unprivileged ping socket where net.ipv4.ping_group_range allows, else a
/// raw socket (root or CAP_NET_RAW). No port.
class IcmpKind final : public Kind {
  public:
    constexpr IcmpKind() : Kind("icmp", Transport::datagram, true, false) {}
    ProbeCategory const* errors() const override { return &icmp_category(); }
    std::shared_ptr<KindOptions const> parse_options(config::OptionBag const& bag,
                                                     config::Diagnostics& out) const override;
    void run_datagram(DatagramStep step, StepDone done) const override;
};

/// The one instance, for the registry.
extern IcmpKind const icmp_kind;

}  // namespace portwatch::probe

namespace std {
template <>
struct is_error_code_enum<portwatch::probe::IcmpError> : true_type {};
}  // namespace std
