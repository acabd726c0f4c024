#include "util/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

namespace portwatch::util::log {

namespace {
std::atomic<Level> min_level{Level::info};
std::atomic<Format> line_format{Format::seed};

void write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t const n = ::write(fd, s.data(), s.size());
        if (n <= 0) {
            return;  // a closed log must not stop the checks
        }
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

int index(Level level) {
    return static_cast<int>(level);
}

/// RFC 3339 with milliseconds: "2026-12-05T03:10:00.123+09:00".
std::string rfc3339_local(TimePoint t) {
    std::string s = format_iso_local(t);  // ...+0900
    s.insert(s.size() - 2, 1, ':');
    return s;
}
}  // namespace

void set_level(Level min) {
    min_level = min;
}

bool enabled(Level level) {
    return level >= min_level.load();
}

void set_format(Format f) {
    line_format = f;
}

Format format() {
    return line_format.load();
}

bool parse_level(std::string_view name, Level& out) {
    static constexpr std::pair<std::string_view, Level> table[] = {{"debug", Level::debug},
                                                                   {"info", Level::info},
                                                                   {"warn", Level::warn},
                                                                   {"error", Level::error}};
    for (auto const& [n, l] : table) {
        if (n == name) {
            out = l;
            return true;
        }
    }
    return false;
}

bool parse_format(std::string_view name, Format& out) {
    static constexpr std::pair<std::string_view, Format> table[] = {
        {"text", Format::text}, {"json", Format::json}, {"journal", Format::journal}};
    for (auto const& [n, f] : table) {
        if (n == name) {
            out = f;
            return true;
        }
    }
    return false;
}

bool stderr_is_journal(char const* journal_stream) {
    if (journal_stream == nullptr) {
        return false;
    }
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    char tail = 0;
    if (std::sscanf(journal_stream, "%llu:%llu%c", &dev, &ino, &tail) != 2) {
        return false;
    }
    struct stat st {};
    return ::fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

std::string format_line(Format format, Level level, TimePoint t, std::string_view text,
                        std::vector<Field> const& fields) {
    std::string line;
    switch (format) {
        case Format::seed: {
            static constexpr char const* names[] = {"debug: ", "", "warning: ", "error: "};
            line = format_log_time(t);
            line += ' ';
            line += names[index(level)];
            line += text;
            break;
        }
        case Format::text: {
            static constexpr char const* names[] = {"DEBUG ", "INFO ", "WARN ", "ERROR "};
            line = rfc3339_local(t);
            line += ' ';
            line += names[index(level)];
            line += text;
            break;
        }
        case Format::journal: {
            // sd-daemon(3): LOG_DEBUG 7, LOG_INFO 6, LOG_WARNING 4, LOG_ERR 3.
            static constexpr char const* prefixes[] = {"<7>", "<6>", "<4>", "<3>"};
            line = prefixes[index(level)];
            line += text;
            break;
        }
        case Format::json: {
            static constexpr char const* names[] = {"debug", "info", "warn", "error"};
            auto j = nlohmann::ordered_json::object();
            j["time"] = rfc3339_local(t);
            j["level"] = names[index(level)];
            j["msg"] = text;
            for (auto const& f : fields) {
                if (f.key == "time" || f.key == "level" || f.key == "msg") {
                    continue;  // the line's own keys win
                }
                if (f.is_list) {
                    j[f.key] = f.list;
                } else {
                    j[f.key] = f.value;
                }
            }
            line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
            break;
        }
    }
    // One line per entry: a stray newline must not forge another one (seed lines stay as the
    // seed wrote them; JSON escapes it).
    if (format == Format::text || format == Format::journal) {
        for (auto& c : line) {
            if (c == '\n' || c == '\r') {
                c = ' ';
            }
        }
    }
    line += '\n';
    return line;
}

void write(Level level, std::string_view text, std::vector<Field> const& fields) {
    write_all(level >= Level::warn ? 2 : 1,
              format_line(line_format.load(), level, Clock::now(), text, fields));
}

void write(Level level, std::string_view text) {
    write(level, text, {});
}

std::string bounded_list(std::vector<std::string> const& names, std::size_t shown) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < shown; ++i) {
        out += i == 0 ? "" : ", ";
        out += names[i];
    }
    if (names.size() > shown) {
        out += fmt::format(" +{} more", names.size() - shown);
    }
    return out;
}

}  // namespace portwatch::util::log
