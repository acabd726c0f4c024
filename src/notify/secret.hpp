#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/notifier.hpp"

namespace portwatch::notify {

/// A notifier's secret option (a token, a webhook URL, a password) may be written three
/// ways, exactly one of them: `KEY: value` in the config, `KEY_file: PATH` (the file's
/// content, one trailing newline removed; relative to the config's directory) or
/// `KEY_env: NAME` (an environment variable). Secrets never appear in diagnostics or logs.

/// The three option names of a secret: {KEY, KEY_file, KEY_env}.
std::vector<std::string> secret_keys(std::string_view key);

/// Checks a secret option: at most one way given (exactly one when `required`), the file
/// readable, the variable set and not empty. Diagnostics name the option, never the value.
void validate_secret(config::NotifierSpec const& spec, std::string_view key, bool required,
                     std::vector<config::Diagnostic>& out);

/// The secret's value ("" when none of the three is given, or the file or variable went
/// away since validation). `base_dir` resolves a relative KEY_file.
std::string secret_value(config::NotifierSpec const& spec, std::string_view key,
                         std::string const& base_dir);

/// The first value of a plain option, or `fallback` when absent.
std::string option_value(config::NotifierSpec const& spec, std::string_view key,
                         std::string fallback = {});

/// THE boolean of every notifier kind, spelled as the config's own booleans: true, yes, on
/// or false, no, off; nullopt for anything else.
std::optional<bool> parse_bool(std::string_view s);

/// A boolean option's value; `fallback` when absent (or invalid: validation said so).
bool bool_option(config::NotifierSpec const& spec, std::string_view key, bool fallback);

/// Checks a boolean option when given: one scalar that parse_bool() reads, else "expected
/// true or false" at its FILE:LINE:COLUMN.
void validate_bool_option(config::NotifierSpec const& spec, std::string_view key,
                          std::vector<config::Diagnostic>& out);

}  // namespace portwatch::notify
