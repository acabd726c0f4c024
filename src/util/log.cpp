#include "util/log.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

#include "util/time.hpp"

namespace portwatch::util::log {

namespace {
std::atomic<Level> min_level{Level::info};

void write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t const n = ::write(fd, s.data(), s.size());
        if (n <= 0) {
            return;  // a closed log must not stop the checks
        }
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}
}  // namespace

void set_level(Level min) {
    min_level = min;
}

bool enabled(Level level) {
    return level >= min_level.load();
}

void write(Level level, std::string_view text) {
    static constexpr char const* names[] = {"debug", "info", "warning", "error"};
    std::string line = format_log_time(Clock::now());
    line += ' ';
    if (level != Level::info) {
        line += names[static_cast<int>(level)];
        line += ": ";
    }
    line += text;
    line += '\n';
    write_all(level >= Level::warn ? 2 : 1, line);
}

}  // namespace portwatch::util::log
