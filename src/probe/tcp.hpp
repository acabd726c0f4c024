#pragma once

#include "probe/kind.hpp"

namespace portwatch::probe {

/// The TCP check. Without options, connected means up: no steps, so the engine runs it on
/// its fast path and calls nothing of it per probe. With options it converses first:
/// `send`/`expect` (or `steps: [{send, expect}, ...]`), or `starttls: smtp|imap|pop3|ftp|
/// postgres` with `tls:` options; reasons expect-mismatch, expect-timeout, starttls-failed
/// (StreamError) and TlsError's.
class TcpKind final : public Kind {
  public:
    constexpr TcpKind() : Kind("tcp", Transport::stream, false) {}

    using Kind::has_steps;
    bool has_steps(ProbeRequest const& request) const override {
        return request.options != nullptr;
    }
    ProbeCategory const* errors() const override;
    std::shared_ptr<KindOptions const> parse_options(config::OptionBag const& bag,
                                                     config::Diagnostics& out) const override;
    void run_steps(StreamStep step, StepDone done) const override;
};

/// The one instance, for the registry.
extern TcpKind const tcp_kind;

}  // namespace portwatch::probe
