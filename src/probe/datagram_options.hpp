#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "config/options.hpp"

// Readers for the scalar options of the udp, icmp and dns kinds: each reports a bad value at
// its FILE:LINE:COLUMN and returns nullopt.
namespace portwatch::probe::options {

/// A scalar's text; `key` is its path below the bag ("dns.query").
std::optional<std::string> text(config::OptionBag const& bag, config::OptionNode const& v,
                                std::string_view key, config::Diagnostics& out);
/// An integer in [lo, hi].
std::optional<long> integer(config::OptionBag const& bag, config::OptionNode const& v,
                            std::string_view key, long lo, long hi, config::Diagnostics& out);
/// true/false (also yes/no, on/off).
std::optional<bool> boolean(config::OptionBag const& bag, config::OptionNode const& v,
                            std::string_view key, config::Diagnostics& out);
/// An ECMAScript regular expression.
std::optional<std::regex> regex(config::OptionBag const& bag, config::OptionNode const& v,
                                std::string_view key, config::Diagnostics& out);

/// Bytes as text for a detail: printable ASCII as is, \r \n \t \\ \" and \xHH for the rest,
/// cut after `limit` input bytes with "..." appended.
std::string escape_bytes(std::string_view bytes, std::size_t limit = 128);

}  // namespace portwatch::probe::options
