#include "notify/registry.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "notify/alertmanager.hpp"
#include "notify/discord.hpp"
#include "notify/email.hpp"
#include "notify/exec.hpp"
#include "notify/gotify.hpp"
#include "notify/ntfy.hpp"
#include "notify/opsgenie.hpp"
#include "notify/pagerduty.hpp"
#include "notify/slack.hpp"
#include "notify/teams.hpp"
#include "notify/telegram.hpp"
#include "notify/webhook.hpp"

namespace portwatch::notify {

namespace {

// Chat kinds group alert storms by default (grouping.hpp): 10 s windows.
constexpr std::chrono::milliseconds chat_group_window{10000};
constexpr std::chrono::milliseconds no_grouping{0};

constexpr std::array types{
    NotifierType{"exec", validate_exec, create_exec},
    NotifierType{"webhook", validate_webhook, create_webhook},
    NotifierType{"slack", validate_slack, create_slack, chat_group_window},
    NotifierType{"discord", validate_discord, create_discord, chat_group_window},
    NotifierType{"telegram", validate_telegram, create_telegram, chat_group_window},
    NotifierType{"teams", validate_teams, create_teams, chat_group_window},
    NotifierType{"ntfy", validate_ntfy, create_ntfy, chat_group_window},
    NotifierType{"gotify", validate_gotify, create_gotify, chat_group_window},
    NotifierType{"pagerduty", validate_pagerduty, create_pagerduty, no_grouping, false},
    NotifierType{"opsgenie", validate_opsgenie, create_opsgenie, no_grouping, false},
    NotifierType{"alertmanager", validate_alertmanager, create_alertmanager, no_grouping, false},
    NotifierType{"email", validate_email, create_email},
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
        if (t.groupable) {
            schema.emplace(std::string(t.name), t.validate);
            continue;
        }
        schema.emplace(std::string(t.name), [&t](config::NotifierSpec const& spec,
                                                 std::vector<config::Diagnostic>& out) {
            t.validate(spec, out);
            if (spec.group.set && spec.group.window.count() > 0) {
                out.push_back(config::Diagnostic{
                    .file = spec.file,
                    .line = spec.group.line > 0 ? spec.group.line : spec.line,
                    .message = fmt::format("notifiers.{}.group: type {} takes no grouping (it "
                                           "acts on each event: one incident or alert per "
                                           "target)",
                                           spec.name, spec.type),
                    .column = spec.group.line > 0 ? spec.group.column : spec.column});
            }
        });
    }
    return schema;
}

std::optional<GroupOptions> grouping_of(config::NotifierSpec const& spec) {
    auto const* type = find_notifier_type(spec.type);
    auto const window = spec.group.set    ? spec.group.window
                        : type != nullptr ? type->group_window
                                          : std::chrono::milliseconds(0);
    if (window.count() <= 0) {
        return std::nullopt;
    }
    return GroupOptions{
        .window = window, .after = spec.group.after, .max_lines = spec.group.max_lines};
}

std::unique_ptr<Notifier> make_notifier(boost::asio::io_context& io,
                                        config::NotifierSpec const& spec,
                                        NotifierContext const& context) {
    auto const* type = find_notifier_type(spec.type);
    if (type == nullptr) {
        return nullptr;
    }
    auto notifier = type->create(io, spec, context);
    if (auto const group = grouping_of(spec); group && notifier) {
        return std::make_unique<GroupingNotifier>(io, std::move(notifier), *group);
    }
    return notifier;
}

MessageTemplates templates_of(config::NotifierSpec const& spec) {
    MessageTemplates t;
    for (auto [name, slot] : {std::pair{"down", &t.down},
                              {"up", &t.up},
                              {"down_bare", &t.down_bare},
                              {"up_bare", &t.up_bare},
                              {"reminder", &t.reminder},
                              {"reminder_bare", &t.reminder_bare},
                              {"cert_expiring", &t.cert_expiring},
                              {"cert_expiring_bare", &t.cert_expiring_bare},
                              {"cert_renewed", &t.cert_renewed},
                              {"cert_renewed_bare", &t.cert_renewed_bare}}) {
        if (auto const it = spec.templates.find(name);
            it != spec.templates.end() && !it->second.empty()) {
            *slot = it->second;
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
                            "concurrency, max_age, templates, group{}{})",
                            spec.type, known.size() ? ", " : "", fmt::join(known, ", "))));
        }
    }
}

}  // namespace portwatch::notify
