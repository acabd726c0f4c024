#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "driver/exit_code.hpp"
#include "http/snapshot.hpp"
#include "store/history.hpp"

namespace portwatch::driver {

struct RunOptions {
    std::filesystem::path config = "portwatch.yaml";
    /// Overrides the config's log_level when not empty (debug | info | warn | error).
    std::string log_level;
    /// Overrides the config's log_format when not empty (text | journal | json).
    std::string log_format;
};

/// `portwatch run`: the daemon's lifecycle (start, signals, reload, stop). One io_context
/// thread probes, schedules, evaluates and delivers; the store's writer thread commits. The
/// parts it wires: TargetTable (the reload diff), the pipeline shared with `check`, stats,
/// ConfigWatch, CanaryLoop and SnapshotPublisher. SIGHUP or a change of the config file
/// reloads; SIGTERM/SIGINT stop cleanly.
class Daemon {
  public:
    explicit Daemon(RunOptions options);
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
