#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "driver/exit_code.hpp"
#include "driver/notifier_set.hpp"
#include "http/snapshot.hpp"
#include "store/history.hpp"
#include "store/store.hpp"
#include "util/result.hpp"
#include "util/time.hpp"

namespace portwatch::probe {
class Kind;
}

namespace portwatch::driver {

struct RunOptions {
    std::filesystem::path config = "portwatch.yaml";
    /// Overrides the config's log_level when not empty (debug | info | warn | error).
    std::string log_level;
    /// Overrides the config's log_format when not empty (text | journal | json).
    std::string log_format;
};

/// What a daemon is built from besides its config. Each part left empty is the real one;
/// tests give fakes to run a daemon in-process (tests/driver/daemon_test.cpp).
struct DaemonParts {
    /// The wall clock: event and state times, history, expiry (the system clock when empty).
    /// Timers and deadlines stay on the steady clock.
    std::function<util::TimePoint()> clock;
    /// Opens the store of a URL (store::open_store, the backends' registry, when empty).
    std::function<util::Result<std::unique_ptr<store::Store>>(std::string const& url,
                                                              store::OpenOptions const&)>
        open_store;
    /// The probe kinds (the registry's when empty).
    std::span<probe::Kind const* const> kinds;
    /// Makes each notifier from its spec (the notifier registry's when empty).
    NotifierFactory make_notifier;
};

/// `portwatch run`: the daemon's lifecycle (start, signals, reload, stop). One io_context
/// thread probes, schedules, evaluates and delivers; the store's writer thread commits. The
/// parts it wires: TargetTable (the reload diff), the pipeline shared with `check`, stats,
/// ConfigWatch, CanaryLoop and SnapshotPublisher. SIGHUP or a change of the config file
/// reloads; SIGTERM/SIGINT stop cleanly.
class Daemon {
  public:
    explicit Daemon(RunOptions options, DaemonParts parts = {});
    ~Daemon();
    Daemon(Daemon const&) = delete;
    Daemon& operator=(Daemon const&) = delete;

    /// Loads the config and the store, then runs until stopped; returns an ExitCode.
    int run();

    /// A picture at most a second old (250 ms after a status change), built on the
    /// loop when needed (waited for at most a second, else the last one); empty before run()
    /// published the first one. Safe from any thread but the loop's own.
    http::SnapshotPtr snapshot() const;
    /// History queries for the HTTP layer; null until run() opened the store.
    store::HistoryReader* history() const;
    /// Asks run() to stop as SIGTERM would; safe from any thread.
    void request_stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Runs a daemon on `options`; returns its exit code.
int run_daemon(RunOptions const& options);

}  // namespace portwatch::driver
