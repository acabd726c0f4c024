#pragma once

#include <string>

#include <fmt/format.h>

namespace portwatch::config {

/// A problem found in a config file, reported as "FILE:LINE: message".
struct Diagnostic {
    enum class Severity { error, warning };
    Severity severity = Severity::error;
    std::string file;
    int line = 0;
    std::string message;

    std::string to_string() const {
        return fmt::format("{}:{}: {}{}", file, line,
                           severity == Severity::warning ? "warning: " : "", message);
    }
    bool operator==(Diagnostic const&) const = default;
};

}  // namespace portwatch::config
