#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "config/options.hpp"
#include "probe/kind.hpp"

namespace portwatch::probe {

/// Every probe kind, by name (tcp first).
std::span<Kind const* const> kinds();

/// The kind named `name`, or nullptr.
Kind const* find_kind(std::string_view name);

/// The names of every kind, in table order.
std::vector<std::string_view> kind_names();

/// The config schema of every kind: its name and its option validator (for config::load_config).
config::Schema schema();

/// Parses a target's options for `kind` (null for tcp and unknown kinds); errors go to `out`.
std::shared_ptr<KindOptions const> parse_options(std::string_view kind,
                                                 config::OptionBag const& bag,
                                                 config::Diagnostics& out);

/// How long before expiry a target with these parsed options warns of its certificate (the
/// `tls: {expiry_warn}` of tls, tcp with starttls and https); 0 when it does not.
std::chrono::seconds expiry_warn(std::string_view kind, KindOptions const* options);

/// The probe error named `name` (the engine's codes, then each kind's); empty for "" and
/// unknown names. The inverse of reason_name().
std::error_code reason_from_name(std::string_view name);

}  // namespace portwatch::probe
