#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>

#include "config/options.hpp"

namespace portwatch::config {

/// Why an option's value cannot be copied, and where.
struct TreeProblem {
    YAML::Mark mark;
    std::string message;
};

/// Aliases make a YAML document a graph: an alias inside the node it names (`&x [*x]`) nests
/// forever, and aliases of aliases multiply. An option's value deeper than this, or larger than
/// this once its aliases are expanded, is refused (no kind's options come near either).
inline constexpr int max_option_depth = 32;
inline constexpr std::size_t max_option_nodes = 100'000;

/// Adds `key: value` (the key's mark taken from `key`) to `bag`, its value copied into an
/// OptionNode with 1-based marks; the problem instead (and nothing added) when the value is too
/// deep or too large (private to the YAML reader).
std::optional<TreeProblem> add_option(OptionBag& bag, YAML::Node const& key,
                                      YAML::Node const& value);

}  // namespace portwatch::config
