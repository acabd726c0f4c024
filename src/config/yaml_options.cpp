#include "config/yaml_options.hpp"

namespace portwatch::config {

namespace {

void set_mark(YAML::Mark const& m, int& line, int& column) {
    line = m.is_null() ? 0 : m.line + 1;
    column = m.is_null() ? 0 : m.column + 1;
}

/// The walk of check_tree: false once a problem is found (then in `out`).
bool walk(YAML::Node const& n, int depth, int max_depth, std::size_t& nodes, std::size_t max_nodes,
          std::optional<TreeProblem>& out) {
    if (depth > max_depth) {
        out = TreeProblem{n.Mark(), "nested deeper than " + std::to_string(max_depth) +
                                        " levels (an alias inside the node it names?)"};
        return false;
    }
    if (++nodes > max_nodes) {
        out = TreeProblem{n.Mark(), "more than " + std::to_string(max_nodes) +
                                        " nodes once its aliases are expanded"};
        return false;
    }
    if (n.IsSequence()) {
        for (auto const& item : n) {
            if (!walk(item, depth + 1, max_depth, nodes, max_nodes, out)) {
                return false;
            }
        }
    } else if (n.IsMap()) {
        for (auto const& kv : n) {
            if (!walk(kv.first, depth + 1, max_depth, nodes, max_nodes, out) ||
                !walk(kv.second, depth + 1, max_depth, nodes, max_nodes, out)) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace

std::optional<TreeProblem> check_tree(YAML::Node const& root, int max_depth,
                                      std::size_t max_nodes) {
    std::optional<TreeProblem> out;
    std::size_t nodes = 0;
    walk(root, 0, max_depth, nodes, max_nodes, out);
    return out;
}

OptionNode to_option_node(YAML::Node const& n) {
    OptionNode out;
    set_mark(n.Mark(), out.line, out.column);
    if (n.IsScalar()) {
        out.type = OptionNode::Type::scalar;
        out.scalar = n.Scalar();
    } else if (n.IsSequence()) {
        out.type = OptionNode::Type::list;
        out.items.reserve(n.size());
        for (auto const& item : n) {
            out.items.push_back(to_option_node(item));
        }
    } else if (n.IsMap()) {
        out.type = OptionNode::Type::map;
        for (auto const& kv : n) {
            Option o{.key = kv.first.Scalar(), .value = to_option_node(kv.second)};
            set_mark(kv.first.Mark(), o.line, o.column);
            out.entries.push_back(std::move(o));
        }
    }
    return out;
}

void add_option(OptionBag& bag, YAML::Node const& key, YAML::Node const& value) {
    Option o{.key = key.Scalar(), .value = to_option_node(value)};
    set_mark(key.Mark(), o.line, o.column);
    bag.entries.push_back(std::move(o));
}

}  // namespace portwatch::config
