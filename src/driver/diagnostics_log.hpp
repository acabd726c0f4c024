#pragma once

#include <cstddef>
#include <vector>

#include "config/diagnostic.hpp"

namespace portwatch::driver {

/// How many problems of one file a run logs before it summarises the rest.
inline constexpr std::size_t diagnostics_shown = 20;

/// Logs a file's problems as a run meets them (errors as errors, warnings as warnings): the
/// first `shown`, then one line with the count of the rest per file and where to see them
/// all (`portwatch validate` prints every one). A list of 100,000 bad lines read by a cron
/// run every five minutes must not write 100,000 lines each time (issue 17 item 12).
void log_diagnostics(std::vector<config::Diagnostic> const& diagnostics,
                     std::size_t shown = diagnostics_shown);

}  // namespace portwatch::driver
