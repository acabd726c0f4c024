#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "driver/delivery.hpp"
#include "driver/exit_code.hpp"
#include "notify/message.hpp"

namespace portwatch::driver {

struct CheckOptions {
    std::filesystem::path list = "port_check.lst";
    /// A portwatch.yaml: when set, targets, thresholds, notifier, store and canaries come
    /// from it (the daemon's config, run once) and `list`/`state`/`notify_cmd` are ignored.
    std::filesystem::path config;
    std::filesystem::path state;  ///< default: port_check_status.json beside the list
    std::chrono::milliseconds timeout{5000};
    std::size_t concurrency = 1000;
    /// -j was given: it beats a config's `concurrency:` (otherwise the config's applies).
    bool concurrency_given = false;
    /// Notifier argv (the message is appended); empty: push_msg.py beside the list.
    std::vector<std::string> notify_cmd;
    notify::OutboxOptions delivery;  ///< check mode: concurrency, timeout, retry, breaker
    notify::MessageTemplates templates;
    std::chrono::milliseconds lock_timeout{60000};
    /// Most undelivered notifications the state file keeps; beyond it the oldest are dropped,
    /// with an error line, so the file stays readable and a run stays fast (issue 17 item 1).
    std::size_t max_pending = 100000;
    bool notify_first_up = false;
    bool dry_run = false;  ///< probe and report; no state written, nothing notified
    bool json = false;     ///< print a JSON report on stdout instead of log lines
    bool quiet = false;    ///< log only changes, notifications and problems
};

/// One seed-compatible run: read the list, probe every target, commit the new state with
/// its events, deliver the outbox. Returns an ExitCode.
int run_check(CheckOptions const& options);

}  // namespace portwatch::driver
