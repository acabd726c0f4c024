#pragma once

#include <yaml-cpp/yaml.h>

#include "config/options.hpp"

namespace portwatch::config {

/// Copies a YAML subtree into an OptionNode, with 1-based marks (private to the YAML reader).
OptionNode to_option_node(YAML::Node const& n);

/// Adds `key: value` (the key's mark taken from `key`) to `bag`.
void add_option(OptionBag& bag, YAML::Node const& key, YAML::Node const& value);

}  // namespace portwatch::config
