#pragma once

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "config/notifier.hpp"
#include "notify/grouping.hpp"
#include "notify/message.hpp"
#include "notify/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

/// One notifier type: checks its options in a config, makes a notifier from them.
struct NotifierType {
    std::string_view name;
    /// Appends a diagnostic per bad or unknown option (config::option_error()).
    void (*validate)(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
    /// Only called with a spec that validated.
    std::unique_ptr<Notifier> (*create)(boost::asio::io_context& io,
                                        config::NotifierSpec const& spec,
                                        NotifierContext const& context);
    /// Alert-storm grouping when the config says nothing (`group:`): the window of chat
    /// kinds; 0 (off) for exec (one call per event, the seed's contract) and for kinds whose
    /// receiver tracks each incident itself (pagers, Alertmanager).
    std::chrono::milliseconds group_window{0};
    /// False: `group:` is an error. The kind acts on each event itself (a pager's incident,
    /// an Alertmanager alert), and a grouped message stands for its first event only.
    bool groupable = true;
};

/// Every known type, one table line each.
std::span<NotifierType const> notifier_types();
/// The type named `name`, or nullptr.
NotifierType const* find_notifier_type(std::string_view name);
/// The validators of every type, for config::parse_config().
config::NotifierSchema notifier_schema();
/// The grouping a spec asks for (its `group:`, else its type's default); nullopt: none.
std::optional<GroupOptions> grouping_of(config::NotifierSpec const& spec);

/// A notifier for a validated spec (behind a GroupingNotifier when grouping_of() says so);
/// nullptr when its type is unknown.
std::unique_ptr<Notifier> make_notifier(boost::asio::io_context& io,
                                        config::NotifierSpec const& spec,
                                        NotifierContext const& context);

/// The message templates of a notifier's config (empty fields keep the seed's defaults).
MessageTemplates templates_of(config::NotifierSpec const& spec);

/// For validators: an error per option of `spec` not in `known`.
void reject_unknown_options(config::NotifierSpec const& spec,
                            std::initializer_list<std::string_view> known,
                            std::vector<config::Diagnostic>& out);

}  // namespace portwatch::notify
