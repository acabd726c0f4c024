#include "notify/discord.hpp"

#include "notify/http_notifier.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

namespace {

/// Discord's limits count characters; cut at a byte bound that keeps UTF-8 whole.
std::string cut(std::string s, std::size_t max) {
    if (s.size() <= max) {
        return s;
    }
    auto end = max - 3;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) {
        --end;
    }
    return s.substr(0, end) + "...";
}

}  // namespace

std::string discord_payload(Notification const& n, DiscordOptions const& options) {
    auto const& e = n.event;
    nlohmann::ordered_json embed;
    embed["title"] = cut(event_title(e), 256);
    embed["description"] = cut(n.message, 4096);
    embed["color"] = event_colour(e.kind);
    embed["timestamp"] = iso_utc(e.time);
    auto fields = nlohmann::ordered_json::array();
    if (!e.reason.empty()) {
        fields.push_back({{"name", "Reason"}, {"value", cut(e.reason, 1024)}, {"inline", true}});
    }
    if (!e.group.empty()) {
        fields.push_back({{"name", "Group"}, {"value", cut(e.group, 1024)}, {"inline", true}});
    }
    if (!e.detail.empty()) {
        fields.push_back({{"name", "Detail"}, {"value", cut(e.detail, 1024)}, {"inline", false}});
    }
    if (!fields.empty()) {
        embed["fields"] = fields;
    }
    embed["footer"] = {{"text", "portwatch"}};
    nlohmann::ordered_json j;
    if (!options.username.empty()) {
        j["username"] = options.username;
    }
    j["embeds"] = nlohmann::ordered_json::array({embed});
    // A description with "@everyone" or "<@id>" must not ping anyone.
    j["allowed_mentions"] = {{"parse", nlohmann::ordered_json::array()}};
    return dump_json(j);
}

void validate_discord(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(spec, {"username"}, true, out);
    validate_http_common(spec, true, true, out);
    if (spec.options.contains("username")) {
        require_value(spec, "username", out);
    }
}

std::unique_ptr<Notifier> create_discord(boost::asio::io_context& io,
                                         config::NotifierSpec const& spec,
                                         NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "");
    DiscordOptions const options{.username = option_value(spec, "username")};
    return std::make_unique<HttpNotifier>(
        io, spec.name,
        [endpoint, options](Notification const& n) {
            return std::optional(
                json_post(endpoint.url, discord_payload(n, options), endpoint.tls));
        },
        url_secrets(endpoint.url));
}

}  // namespace portwatch::notify
