#pragma once

#include <string>

#include <fmt/format.h>

namespace portwatch::config {

/// A problem found in a config file, reported as "FILE:LINE: message" (or
/// "FILE:LINE:COLUMN: message" when the column is known).
struct Diagnostic {
    enum class Severity { error, warning };
    Severity severity = Severity::error;
    std::string file;
    int line = 0;
    std::string message;
    int column = 0;  ///< 1-based; 0 when unknown

    std::string to_string() const {
        auto const where = column > 0 ? fmt::format("{}:{}:{}", file, line, column)
                                      : fmt::format("{}:{}", file, line);
        return fmt::format("{}: {}{}", where, severity == Severity::warning ? "warning: " : "",
                           message);
    }
    bool operator==(Diagnostic const&) const = default;
};

}  // namespace portwatch::config
