#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portwatch::notify::detail {

/// The last non-blank line of a notifier's output, as one line of valid UTF-8 (control
/// characters become spaces, invalid bytes '?') of at most `limit` bytes: what a delivery's
/// detail shows of it.
std::string output_summary(std::string_view out, std::size_t limit);

}  // namespace portwatch::notify::detail
