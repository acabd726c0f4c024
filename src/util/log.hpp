#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "util/time.hpp"

namespace portwatch::util::log {

/// One write and flush per line, to stdout (debug, info) or stderr (warn, error), so
/// `>> port_checker.log 2>&1` interleaves them cleanly.
enum class Level { debug, info, warn, error };

/// How a line looks (docs/logging.md):
/// - seed: "YYYY-MM-DD HH:MM:SS.mmm [warning: |error: |debug: ]TEXT", the seed script's lines
///   (`portwatch check`, byte for byte; the default);
/// - text: "YYYY-MM-DDTHH:MM:SS.mmm+09:00 INFO TEXT", a level on every line (`portwatch run`);
/// - journal: "<6>TEXT" (sd-daemon(3) priority prefixes; journald adds the time);
/// - json: one object per line: {"time":...,"level":...,"msg":...} plus the line's fields.
enum class Format { seed, text, journal, json };

/// A named value attached to a line: a field of the JSON object, ignored by the other formats
/// (their text already says it).
struct Field {
    std::string key;
    std::string value;
    /// A list of names; JSON renders it as an array.
    std::vector<std::string> list{};
    bool is_list = false;
};

void set_level(Level min);
bool enabled(Level level);
void set_format(Format format);
Format format();

/// "debug" | "info" | "warn" | "error" -> Level; nullopt-like false for anything else.
bool parse_level(std::string_view name, Level& out);
/// "text" | "json" | "journal" -> Format (seed is not for users to choose).
bool parse_format(std::string_view name, Format& out);

/// Whether stderr is a journald stream: JOURNAL_STREAM ("DEV:INODE") names the descriptor
/// (systemd.exec(5)). `journal_stream` is the variable's value (null when unset).
bool stderr_is_journal(char const* journal_stream);

/// The line (with its '\n') that `write` prints for `text` at `level` and time `t`. Pure but
/// for the local time zone.
std::string format_line(Format format, Level level, TimePoint t, std::string_view text,
                        std::vector<Field> const& fields = {});

void write(Level level, std::string_view text);
void write(Level level, std::string_view text, std::vector<Field> const& fields);

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

/// "a, b, c" for at most `shown` names, then " +N more": a bounded list for one log line.
std::string bounded_list(std::vector<std::string> const& names, std::size_t shown = 10);

}  // namespace portwatch::util::log
