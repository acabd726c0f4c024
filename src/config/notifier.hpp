#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/diagnostic.hpp"

namespace portwatch::config {

/// One type-specific option of a notifier as written: a scalar, a list of scalars or a
/// mapping of scalars (webhook `headers:`, alertmanager `labels:`), and where it stands (for
/// the type's own FILE:LINE:COLUMN diagnostics).
struct NotifierOption {
    std::vector<std::string> values;  ///< one value for a scalar
    bool list = false;
    bool mapping = false;
    std::map<std::string, std::string> entries;  ///< a mapping's keys and values
    int line = 0;                                ///< 1-based
    int column = 0;

    bool operator==(NotifierOption const&) const = default;
};

/// Alert-storm grouping of a notifier (`group:`): the first `after` events of a window go
/// out one by one; later ones within `window` are sent together as one message listing up
/// to `max_lines` of them, then "+N more". Every event stays its own outbox entry.
struct GroupSpec {
    bool set = false;  ///< written in the config; otherwise the type's default applies
    std::chrono::milliseconds window{10000};  ///< 0: no grouping
    int after = 3;
    int max_lines = 20;
    int line = 0;  ///< where `group:` stands (1-based; 0 when not written)
    int column = 0;

    bool operator==(GroupSpec const&) const = default;
};

/// A named notifier of `notifiers:`. The keys every type shares are fields; the others are
/// kept as written in `options`, for the type to validate and use (config knows no types).
struct NotifierSpec {
    std::string name;  ///< unique; defaults to the type
    std::string type = "exec";
    std::chrono::milliseconds timeout{30000};
    std::size_t concurrency = 4;
    std::chrono::seconds max_age{7 * 24 * 3600};
    /// Message templates by name ("down", "up", "down_bare", "up_bare", "reminder",
    /// "reminder_bare", "cert_expiring[_bare]", "cert_renewed[_bare]"; notify::MessageTemplates
    /// placeholders); absent or empty keeps the default.
    std::map<std::string, std::string> templates;
    GroupSpec group;
    std::map<std::string, NotifierOption> options;
    std::string file;  ///< where it is declared
    int line = 0;
    int column = 0;

    bool operator==(NotifierSpec const&) const = default;
};

/// Checks a type's options; appends what is wrong (see option_error()).
using NotifierValidator = std::function<void(NotifierSpec const&, std::vector<Diagnostic>&)>;

/// The notifier types the caller knows, by name, with their validators: supplied by the
/// layer that has them (notify::notifier_schema()), so that config includes no notify header.
using NotifierSchema = std::map<std::string, NotifierValidator, std::less<>>;

/// An error at an option of `spec` (at the notifier itself when the option is absent),
/// its message prefixed with "notifiers.NAME.KEY: ".
inline Diagnostic option_error(NotifierSpec const& spec, std::string const& key,
                               std::string const& message) {
    auto const it = spec.options.find(key);
    bool const at_option = it != spec.options.end();
    return Diagnostic{.severity = Diagnostic::Severity::error,
                      .file = spec.file,
                      .line = at_option ? it->second.line : spec.line,
                      .message = fmt::format("notifiers.{}.{}: {}", spec.name, key, message),
                      .column = at_option ? it->second.column : spec.column};
}

}  // namespace portwatch::config
