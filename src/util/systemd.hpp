#pragma once

#include <chrono>
#include <optional>

namespace portwatch::util {

/// Tells systemd about the service's state (sd_notify(3): "READY=1", "RELOADING=1", ...).
/// Outside systemd (no NOTIFY_SOCKET) it does nothing; under systemd, libsystemd is opened
/// on first use, so that `check` and a daemon outside systemd never load it and its six
/// dependencies. Returns sd_notify's result, 0 when not under systemd or without libsystemd.
int systemd_notify(char const* state);

/// The watchdog interval systemd expects pings within (sd_watchdog_enabled(3)): WATCHDOG_USEC
/// when set, positive, and WATCHDOG_PID is unset or this process; nullopt otherwise.
/// `usec` and `pid` are the variables' values (null when unset).
std::optional<std::chrono::microseconds> systemd_watchdog_interval(char const* usec,
                                                                   char const* pid);
/// The same from this process's environment.
std::optional<std::chrono::microseconds> systemd_watchdog_interval();

}  // namespace portwatch::util
