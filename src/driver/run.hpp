#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "driver/snapshot.hpp"
#include "store/history.hpp"

namespace portwatch::driver {

/// Exit codes of `portwatch run` beyond check's (0 = clean stop after SIGTERM/SIGINT).
enum RunExitCode : int {
    run_exit_ok = 0,
    run_exit_config = 2,  ///< the config has errors (reported as FILE:LINE:COLUMN)
    run_exit_no_config = 4,
    run_exit_locked = 5,  ///< another daemon holds the store
    run_exit_store = 6,   ///< the store could not be opened or loaded
};

struct RunOptions {
    std::filesystem::path config = "portwatch.yaml";
    /// Overrides the config's log_level when not empty (debug | info | warn | error).
    std::string log_level;
};

/// `portwatch run`: the daemon driver. One io_context thread probes, schedules, evaluates
/// and reaps notifier processes; one writer thread commits to SQLite. SIGHUP or a change of
/// the config file reloads; SIGTERM/SIGINT stop cleanly.
class Daemon {
  public:
    explicit Daemon(RunOptions options);
    ~Daemon();
    Daemon(Daemon const&) = delete;
    Daemon& operator=(Daemon const&) = delete;

    /// Loads the config and the store, then runs until stopped; returns a RunExitCode.
    int run();

    /// A picture at most a second old (250 ms after a status change), built on the
    /// loop when needed (waited for at most a second, else the last one); empty before run()
    /// published the first one. Safe from any thread but the loop's own.
    SnapshotPtr snapshot() const;
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
