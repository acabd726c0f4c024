#include "config/yaml_options.hpp"

namespace portwatch::config {

namespace {

void set_mark(YAML::Mark const& m, int& line, int& column) {
    line = m.is_null() ? 0 : m.line + 1;
    column = m.is_null() ? 0 : m.column + 1;
}

/// Copies `n` into `out`, at most `max_option_depth` levels deep and `budget` nodes in all;
/// false once past either (then `problem` says which, and where).
bool copy(YAML::Node const& n, OptionNode& out, int depth, std::size_t& budget,
          std::optional<TreeProblem>& problem) {
    if (depth > max_option_depth) {
        problem = TreeProblem{n.Mark(), "nested deeper than " + std::to_string(max_option_depth) +
                                            " levels (an alias inside the node it names?)"};
        return false;
    }
    if (budget == 0) {
        problem = TreeProblem{n.Mark(), "more than " + std::to_string(max_option_nodes) +
                                            " nodes once its aliases are expanded"};
        return false;
    }
    --budget;
    set_mark(n.Mark(), out.line, out.column);
    if (n.IsScalar()) {
        out.type = OptionNode::Type::scalar;
        out.scalar = n.Scalar();
    } else if (n.IsSequence()) {
        out.type = OptionNode::Type::list;
        out.items.reserve(n.size());
        for (auto const& item : n) {
            if (!copy(item, out.items.emplace_back(), depth + 1, budget, problem)) {
                return false;
            }
        }
    } else if (n.IsMap()) {
        out.type = OptionNode::Type::map;
        for (auto const& kv : n) {
            auto& o = out.entries.emplace_back(Option{.key = kv.first.Scalar()});
            set_mark(kv.first.Mark(), o.line, o.column);
            if (!copy(kv.second, o.value, depth + 1, budget, problem)) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace

std::optional<TreeProblem> add_option(OptionBag& bag, YAML::Node const& key,
                                      YAML::Node const& value) {
    Option o{.key = key.Scalar()};
    set_mark(key.Mark(), o.line, o.column);
    std::size_t budget = max_option_nodes;
    std::optional<TreeProblem> problem;
    if (!copy(value, o.value, 0, budget, problem)) {
        return problem;
    }
    bag.entries.push_back(std::move(o));
    return std::nullopt;
}

}  // namespace portwatch::config
