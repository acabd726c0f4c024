#pragma once

#include "probe/kind.hpp"

namespace portwatch::probe {

/// Why a dns probe failed, beyond the engine's codes (no answer in time is the engine's
/// `dns-timeout`, a closed port `refused`, a malformed reply `dns-failure`).
enum class DnsError {
    rcode = 1,  ///< "dns-rcode": the reply's rcode is not the expected one (detail: its name)
    answer,     ///< "dns-answer": no answer record matches `answer`
};

/// The dns kind's category ("portwatch.probe.dns").
ProbeCategory const& dns_category();
std::error_code make_error_code(DnsError e);

/// `kind: dns`: asks the target's server (the first resolved address, port 53 unless given)
/// `dns.query` of `dns.type` through c-ares on the engine's loop, over UDP with c-ares' TCP
/// retry on truncation (or TCP only with `dns.tcp: true`); up when the rcode is `dns.rcode`
/// (NOERROR) and, with `dns.answer`, one answer of that type matches the regex. The target's
/// key is "dns://HOST:PORT/QUERY/TYPE".
class DnsKind final : public Kind {
  public:
    constexpr DnsKind() : Kind("dns", Transport::datagram, true, false) {}
    ProbeCategory const* errors() const override { return &dns_category(); }
    std::shared_ptr<KindOptions const> parse_options(config::OptionBag const& bag,
                                                     config::Diagnostics& out) const override;
    void complete_target(config::OptionBag const& bag, config::Target& target) const override;
    void run_datagram(DatagramStep step, StepDone done) const override;
};

/// The one instance, for the registry.
extern DnsKind const dns_kind;

}  // namespace portwatch::probe

namespace std {
template <>
struct is_error_code_enum<portwatch::probe::DnsError> : true_type {};
}  // namespace std
