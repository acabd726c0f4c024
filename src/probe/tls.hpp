#pragma once

#include "probe/kind.hpp"

namespace portwatch::probe {

/// `kind: tls`: the engine connects, then a TLS handshake with SNI and verification (the
/// `tls:` options); up when both passed. Its reasons are TlsError's (tls-handshake,
/// cert-expired, cert-untrusted, cert-hostname), a stalled handshake is `timeout`, and the
/// facts carry the leaf certificate, also when it failed verification.
class TlsKind final : public Kind {
  public:
    constexpr TlsKind() : Kind("tls", Transport::stream, true) {}

    ProbeCategory const* errors() const override;
    std::shared_ptr<KindOptions const> parse_options(config::OptionBag const& bag,
                                                     config::Diagnostics& out) const override;
    void run_steps(StreamStep step, StepDone done) const override;
};

/// The one instance, for the registry.
extern TlsKind const tls_kind;

}  // namespace portwatch::probe
