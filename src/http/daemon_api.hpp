#pragma once

#include <string>

#include "http/snapshot.hpp"

namespace portwatch::http {

/// GET /api/v1/daemon: the process as an operator asks after it: version, start time,
/// config and store health, connectivity self-check, the outbox per destination (pending
/// entries, permanent refusals, last error) and notification counters. Behind auth always.
std::string render_daemon(Snapshot const& snap);

}  // namespace portwatch::http
