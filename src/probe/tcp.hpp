#pragma once

#include "probe/kind.hpp"

namespace portwatch::probe {

/// The TCP connect check: connected means up. No steps and no options, so the engine runs
/// it on its fast path and calls nothing of it per probe.
class TcpKind final : public Kind {
  public:
    constexpr TcpKind() : Kind("tcp", Transport::stream, false) {}
};

/// The one instance, for the registry.
extern TcpKind const tcp_kind;

}  // namespace portwatch::probe
