#pragma once

#include <string_view>

#include <fmt/format.h>

namespace portwatch::util::log {

/// Log lines carry a local timestamp and go to stdout (info) or stderr (warn, error), one
/// write and flush per line, so `>> port_checker.log 2>&1` interleaves them cleanly.
enum class Level { debug, info, warn, error };

void set_level(Level min);
bool enabled(Level level);
void write(Level level, std::string_view text);

template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::info))
        write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::warn))
        write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::debug))
        write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace portwatch::util::log
