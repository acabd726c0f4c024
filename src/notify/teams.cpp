#include "notify/teams.hpp"

#include "notify/http_notifier.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

std::string teams_payload(Notification const& n, TeamsOptions const&) {
    auto const& e = n.event;
    char const* colour = e.kind == eval::EventKind::down            ? "Attention"
                         : e.kind == eval::EventKind::cert_expiring ? "Warning"
                                                                    : "Good";
    auto facts = nlohmann::ordered_json::array();
    facts.push_back({{"title", "Target"}, {"value", e.name.empty() ? e.key : e.name}});
    facts.push_back({{"title", "Address"}, {"value", e.key}});
    if (!e.group.empty()) {
        facts.push_back({{"title", "Group"}, {"value", e.group}});
    }
    if (!e.reason.empty()) {
        facts.push_back({{"title", "Reason"}, {"value", e.reason}});
    }
    if (!e.detail.empty()) {
        facts.push_back({{"title", "Detail"}, {"value", e.detail}});
    }
    facts.push_back({{"title", "Time"}, {"value", iso_utc(e.time)}});
    nlohmann::ordered_json card;
    card["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json";
    card["type"] = "AdaptiveCard";
    card["version"] = "1.4";
    card["body"] =
        nlohmann::ordered_json::array({{{"type", "TextBlock"},
                                        {"text", event_title(e)},
                                        {"weight", "Bolder"},
                                        {"size", "Medium"},
                                        {"color", colour},
                                        {"wrap", true}},
                                       {{"type", "TextBlock"}, {"text", n.message}, {"wrap", true}},
                                       {{"type", "FactSet"}, {"facts", facts}}});
    nlohmann::ordered_json attachment;
    attachment["contentType"] = "application/vnd.microsoft.card.adaptive";
    attachment["contentUrl"] = nullptr;
    attachment["content"] = card;
    nlohmann::ordered_json j;
    j["type"] = "message";
    j["attachments"] = nlohmann::ordered_json::array({attachment});
    return dump_json(j);
}

void validate_teams(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(spec, {}, true, out);
    validate_http_common(spec, true, true, out);
}

std::unique_ptr<Notifier> create_teams(boost::asio::io_context& io,
                                       config::NotifierSpec const& spec,
                                       NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "");
    return std::make_unique<HttpNotifier>(
        io, spec.name,
        [endpoint](Notification const& n) {
            return std::optional(json_post(endpoint.url, teams_payload(n, {}), endpoint.tls));
        },
        url_secrets(endpoint.url));
}

}  // namespace portwatch::notify
