#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostic.hpp"
#include "config/options.hpp"
#include "util/result.hpp"

namespace portwatch::config {

/// What a `portwatch.yaml` yields: the config (with every good target) and every problem,
/// each naming FILE:LINE:COLUMN and the key.
struct ConfigFile {
    Config config;
    std::vector<Diagnostic> diagnostics;

    bool has_errors() const;
};

/// Parses YAML text. `file` names it in diagnostics and anchors relative paths (`include:`,
/// `store:`); included `.lst` files are read from disk. A target's `kind:` must be in
/// `kinds`, whose validator checks the target's other keys (its options); `notifiers`
/// validates each notifier's type and options (notify::notifier_schema()); empty, types and
/// options are not checked.
ConfigFile parse_config(std::string_view text, std::filesystem::path const& file,
                        Schema const& kinds = {}, NotifierSchema const& notifiers = {});

/// Reads and parses a config file; an error only when the file itself cannot be read.
util::Result<ConfigFile> load_config(std::filesystem::path const& path, Schema const& kinds = {},
                                     NotifierSchema const& notifiers = {});

/// "30s", "5m", "1h", "7d", "250ms", or a bare number of seconds ("1.5"); empty on junk.
std::optional<Duration> parse_duration(std::string_view text);

/// True for a `.yaml` or `.yml` file name.
bool is_yaml_path(std::filesystem::path const& path);

}  // namespace portwatch::config
