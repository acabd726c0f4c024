#include "config/yaml_options.hpp"

namespace portwatch::config {

namespace {

void set_mark(YAML::Mark const& m, int& line, int& column) {
    line = m.is_null() ? 0 : m.line + 1;
    column = m.is_null() ? 0 : m.column + 1;
}

}  // namespace

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
