#pragma once

// The footers of `portwatch --help` and of each subcommand's --help: its own examples and its
// own exit codes (src/driver/exit_code.hpp). The top one is also the man page's EXAMPLES and
// exit codes (help2man reads --help-all; packaging/man/tidy_man.cmake).

namespace portwatch::cli {

inline constexpr char const* top_footer = R"(Examples:
  portwatch check                          check ./port_check.lst, notify via ./push_msg.py
  portwatch -C /app/mng check              the same from any directory (cron runs in $HOME)
  portwatch check --dry-run                probe and show changes; write and notify nothing
  portwatch check --notify-cmd '/usr/local/bin/notify --channel ops'
  portwatch validate --list port_check.lst
  portwatch run -c /etc/portwatch/portwatch.yaml   the daemon (scheduler, SQLite history, reload)
  portwatch validate -c portwatch.yaml     check a YAML config; exit 2 on errors
  portwatch check -c portwatch.yaml        the daemon's config, checked once
  portwatch notify-test mail -c portwatch.yaml   send a test message through notifier "mail"
  portwatch help run                       one subcommand's options, examples and exit codes

Crontab (replaces the seed script, nothing else changes):
  */5 * * * * /usr/local/bin/portwatch -C /app/mng check >> /app/mng/port_checker.log 2>&1

Exit codes (check; the other subcommands below):
  0   run completed and every notification was delivered (even with targets DOWN)
  2   the list has bad lines (reported as FILE:LINE); the good lines were checked
  3   some notifications are pending (notifier failed); the next run retries them
  4   the list file is missing or unreadable; the state file was left untouched
  5   another run held the state lock longer than --lock-timeout
  6   the state file could not be read or saved; nothing was notified
  64  bad command line

Exit codes of run: 0 stopped by a signal, everything saved; 2 config errors or http: cannot be
served; 4 config missing; 5 another daemon holds the store; 6 store cannot be opened or saved.
Exit codes of validate: 0 no errors, 2 errors, 4 file missing. Of notify-test: 0 delivered,
1 failed, 2 no such notifier or config errors, 4 config missing. Details: portwatch help NAME.)";

inline constexpr char const* check_footer = R"(Examples:
  portwatch check                          check ./port_check.lst, notify via ./push_msg.py
  portwatch -C /app/mng check              the same from any directory (cron runs in $HOME)
  portwatch check --dry-run                probe and show changes; write and notify nothing
  portwatch check --notify-cmd '/usr/local/bin/notify --channel ops'
  portwatch check -c portwatch.yaml        the daemon's config, checked once
  portwatch check --json | jq .            a JSON report instead of log lines

Crontab (replaces the seed script, nothing else changes):
  */5 * * * * /usr/local/bin/portwatch -C /app/mng check >> /app/mng/port_checker.log 2>&1

Exit codes of check:
  0   run completed and every notification was delivered (even with targets DOWN)
  2   the list has bad lines (reported as FILE:LINE); the good lines were checked
  3   some notifications are pending (notifier failed); the next run retries them
  4   the list file is missing or unreadable; the state file was left untouched
  5   another run held the state lock longer than --lock-timeout
  6   the state file could not be read or saved; nothing was notified
  64  bad command line)";

inline constexpr char const* run_footer = R"(Examples:
  portwatch run -c /etc/portwatch/portwatch.yaml   schedule checks, keep history, serve http:
  portwatch validate -c portwatch.yaml             check the config first; exit 2 on errors
  kill -HUP $(pidof portwatch)                     reload (also when the config file changes)
  portwatch run --log-format json | jq .           one JSON object per log line

Logs: "TIME LEVEL message" with the time zone; under systemd (JOURNAL_STREAM) journald
priority prefixes instead (journalctl -p warning); --log-format chooses.

Exit codes of run:
  0   stopped by SIGTERM or SIGINT, everything saved
  2   the config has errors (FILE:LINE:COLUMN), or its http: section cannot be served (the
      listen address is in use or not allowed, the TLS cert or key cannot be read); logged
      before "running:", nothing was checked
  4   the config file is missing or unreadable
  5   another daemon holds the store (its lock file is locked)
  6   the store cannot be opened (or its lock file cannot be created or written), or changes
      were left unsaved at stop (a full disk)
  64  bad command line)";

inline constexpr char const* validate_footer = R"(Examples:
  portwatch validate                       check ./port_check.lst
  portwatch validate --list /app/mng/port_check.lst
  portwatch validate -c portwatch.yaml     check a YAML config (its lists too); -l is ignored

Exit codes of validate:
  0   no errors (warnings may be printed)
  2   errors, each as FILE:LINE[:COLUMN] on stderr
  4   the file is missing or unreadable
  64  bad command line)";

inline constexpr char const* notify_test_footer = R"(Examples:
  portwatch notify-test mail -c portwatch.yaml   send a test message through notifier "mail"
  portwatch notify-test ops-hook                 the same with ./portwatch.yaml

Exit codes of notify-test:
  0   delivered
  1   the notifier failed (its error is printed)
  2   no notifier of that name, or the config has errors
  4   the config file is missing or unreadable
  64  bad command line)";

inline constexpr char const* help_footer = R"(Examples:
  portwatch help                           the overview: every subcommand
  portwatch help run                       the daemon's options, examples and exit codes

Exit codes of help:
  0   help printed
  64  no such subcommand)";

}  // namespace portwatch::cli
