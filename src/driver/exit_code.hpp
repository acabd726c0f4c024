#pragma once

namespace portwatch::driver {

/// Exit codes of every mode (`check`, `validate`, `run`), documented in the README and in
/// each subcommand's --help. One meaning per number across modes.
enum ExitCode : int {
    exit_ok = 0,  ///< completed (check: every notification delivered; run: stopped by a signal)
    exit_config_errors = 2,  ///< bad lines in the list or errors in the config
    exit_pending = 3,      ///< check: some notifications are still pending (kept for the next run)
    exit_no_input = 4,     ///< the list or config file is missing or unreadable; state untouched
    exit_locked = 5,       ///< another run or daemon holds the state's lock
    exit_store_error = 6,  ///< the state or store could not be read or saved
    exit_usage = 64,       ///< bad command line
};

}  // namespace portwatch::driver
