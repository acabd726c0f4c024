#include "notify/registry.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "notify/exec.hpp"

namespace portwatch::notify {

namespace {

constexpr std::array types{
    NotifierType{"exec", validate_exec, create_exec},
};

}  // namespace

std::span<NotifierType const> notifier_types() {
    return types;
}

NotifierType const* find_notifier_type(std::string_view name) {
    auto const it = std::find_if(types.begin(), types.end(),
                                 [&](NotifierType const& t) { return t.name == name; });
    return it == types.end() ? nullptr : &*it;
}

config::NotifierSchema notifier_schema() {
    config::NotifierSchema schema;
    for (auto const& t : types) {
        schema.emplace(std::string(t.name), t.validate);
    }
    return schema;
}

std::unique_ptr<Notifier> make_notifier(boost::asio::io_context& io,
                                        config::NotifierSpec const& spec,
                                        NotifierContext const& context) {
    auto const* type = find_notifier_type(spec.type);
    return type ? type->create(io, spec, context) : nullptr;
}

MessageTemplates templates_of(config::NotifierSpec const& spec) {
    MessageTemplates t;
    for (auto [slot, value] :
         {std::pair{&t.down, &spec.down}, std::pair{&t.up, &spec.up},
          std::pair{&t.down_bare, &spec.down_bare}, std::pair{&t.up_bare, &spec.up_bare},
          std::pair{&t.reminder, &spec.reminder},
          std::pair{&t.reminder_bare, &spec.reminder_bare}}) {
        if (!value->empty()) {
            *slot = *value;
        }
    }
    return t;
}

void reject_unknown_options(config::NotifierSpec const& spec,
                            std::initializer_list<std::string_view> known,
                            std::vector<config::Diagnostic>& out) {
    for (auto const& [key, option] : spec.options) {
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            out.push_back(config::option_error(
                spec, key,
                fmt::format("unknown key for type {} (expected one of: name, type, timeout, "
                            "concurrency, max_age, templates{}{})",
                            spec.type, known.size() ? ", " : "", fmt::join(known, ", "))));
        }
    }
}

}  // namespace portwatch::notify
