#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "config/diagnostic.hpp"
#include "driver/target_table.hpp"

namespace portwatch::driver {

/// How many problems of one file a run logs before it summarises the rest.
inline constexpr std::size_t diagnostics_shown = 20;

/// Logs a file's problems as a run meets them (errors as errors, warnings as warnings): the
/// first `shown`, then one line with the count of the rest per file and where to see them
/// all (`portwatch validate` prints every one). A list of 100,000 bad lines read by a cron
/// run every five minutes must not write 100,000 lines each time (issue 17 item 12).
void log_diagnostics(std::vector<config::Diagnostic> const& diagnostics,
                     std::size_t shown = diagnostics_shown);

/// How many names of added, removed or changed targets the config line lists.
inline constexpr std::size_t target_names_shown = 10;

/// The line a (re)load logs: counts, then the names of the targets added, removed and changed
/// (the first `target_names_shown` of each, then "+N more"); JSON lines carry them as lists.
/// `names_before`: key -> name of the targets before, to name the removed ones.
void log_config_applied(std::string const& file, std::string const& store, TargetTable const& table,
                        TableDiff const& diff,
                        std::map<std::string, std::string> const& names_before);

}  // namespace portwatch::driver
