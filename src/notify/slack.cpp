#include "notify/slack.hpp"

#include <fmt/format.h>

#include "notify/http_notifier.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

std::string slack_escape(std::string_view text) {
    return escape_amp_lt_gt(text);
}

std::string slack_payload(Notification const& n, SlackOptions const& options) {
    auto const& e = n.event;
    nlohmann::ordered_json attachment;
    attachment["color"] = fmt::format("#{:06x}", event_colour(e.kind));
    attachment["title"] = slack_escape(event_title(e));
    auto fields = nlohmann::ordered_json::array();
    if (!e.reason.empty()) {
        fields.push_back({{"title", "Reason"}, {"value", slack_escape(e.reason)}, {"short", true}});
    }
    if (!e.group.empty()) {
        fields.push_back({{"title", "Group"}, {"value", slack_escape(e.group)}, {"short", true}});
    }
    if (!e.detail.empty()) {
        fields.push_back(
            {{"title", "Detail"}, {"value", slack_escape(e.detail)}, {"short", false}});
    }
    if (!fields.empty()) {
        attachment["fields"] = fields;
    }
    attachment["footer"] = "portwatch";
    attachment["ts"] =
        std::chrono::duration_cast<std::chrono::seconds>(e.time.time_since_epoch()).count();
    nlohmann::ordered_json j;
    if (!options.channel.empty()) {
        j["channel"] = options.channel;
    }
    if (!options.username.empty()) {
        j["username"] = options.username;
    }
    j["text"] = slack_escape(n.message);
    j["attachments"] = nlohmann::ordered_json::array({attachment});
    return dump_json(j);
}

void validate_slack(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(spec, {"channel", "username"}, true, out);
    validate_http_common(spec, true, true, out);
    for (auto const* key : {"channel", "username"}) {
        if (spec.options.contains(key)) {
            require_value(spec, key, out);
        }
    }
}

std::unique_ptr<Notifier> create_slack(boost::asio::io_context& io,
                                       config::NotifierSpec const& spec,
                                       NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "");
    SlackOptions const options{.channel = option_value(spec, "channel"),
                               .username = option_value(spec, "username")};
    return std::make_unique<HttpNotifier>(
        io, spec.name,
        [endpoint, options](Notification const& n) {
            return std::optional(json_post(endpoint.url, slack_payload(n, options), endpoint.tls));
        },
        url_secrets(endpoint.url));
}

}  // namespace portwatch::notify
