#pragma once

namespace portwatch::util {

/// Tells systemd about the service's state (sd_notify(3): "READY=1", "RELOADING=1", ...).
/// Outside systemd (no NOTIFY_SOCKET) it does nothing; under systemd, libsystemd is opened
/// on first use, so that `check` and a daemon outside systemd never load it and its six
/// dependencies. Returns sd_notify's result, 0 when not under systemd or without libsystemd.
int systemd_notify(char const* state);

}  // namespace portwatch::util
