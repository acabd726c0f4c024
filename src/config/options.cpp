#include "config/options.hpp"

#include <fmt/format.h>

namespace portwatch::config {

Option const* OptionBag::find(std::string_view key) const {
    for (auto const& e : entries) {
        if (e.key == key) {
            return &e;
        }
    }
    return nullptr;
}

void OptionBag::error(Diagnostics& out, Option const& at, std::string_view what) const {
    out.push_back(Diagnostic{.file = file,
                             .line = at.line,
                             .message = fmt::format("{}.{}: {}", path, at.key, what),
                             .column = at.column});
}

void OptionBag::error(Diagnostics& out, OptionNode const& at, std::string_view key,
                      std::string_view what) const {
    out.push_back(Diagnostic{.file = file,
                             .line = at.line,
                             .message = fmt::format("{}.{}: {}", path, key, what),
                             .column = at.column});
}

Schema::Schema() : kinds{{"tcp", reject_all_options}} {}

void reject_all_options(OptionBag const& bag, Diagnostics& out) {
    for (auto const& e : bag.entries) {
        bag.error(out, e, "unknown key");
    }
}

}  // namespace portwatch::config
