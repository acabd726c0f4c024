#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>

#include "config/options.hpp"

namespace portwatch::config {

/// Why a loaded document cannot be walked, and where.
struct TreeProblem {
    YAML::Mark mark;
    std::string message;
};

/// Checks a loaded document before anything walks it. Aliases make it a graph: an alias inside
/// the node it names (`&x [*x]`) nests forever, and aliases of aliases multiply. Too deep past
/// `max_depth` levels, or too large past `max_nodes` nodes with every alias expanded, is a
/// problem; nullopt when it is fine.
std::optional<TreeProblem> check_tree(YAML::Node const& root, int max_depth, std::size_t max_nodes);

/// Copies a YAML subtree into an OptionNode, with 1-based marks (private to the YAML reader).
OptionNode to_option_node(YAML::Node const& n);

/// Adds `key: value` (the key's mark taken from `key`) to `bag`.
void add_option(OptionBag& bag, YAML::Node const& key, YAML::Node const& value);

}  // namespace portwatch::config
