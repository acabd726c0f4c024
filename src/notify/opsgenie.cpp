#include "notify/opsgenie.hpp"

#include <cctype>

#include <fmt/format.h>

#include "notify/http_notifier.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

namespace {

std::string percent_encode(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

}  // namespace

std::string opsgenie_alias(eval::Event const& e) {
    bool const cert =
        e.kind == eval::EventKind::cert_expiring || e.kind == eval::EventKind::cert_renewed;
    return cert ? e.key + "/cert" : e.incident_id();
}

OpsgenieCall opsgenie_call(Notification const& n, OpsgenieOptions const& options) {
    auto const& e = n.event;
    auto const alias = opsgenie_alias(e);
    if (e.kind == eval::EventKind::up || e.kind == eval::EventKind::cert_renewed) {
        nlohmann::ordered_json j;
        j["source"] = "portwatch";
        j["note"] = n.message;
        return {fmt::format("/v2/alerts/{}/close?identifierType=alias", percent_encode(alias)),
                dump_json(j)};
    }
    nlohmann::ordered_json details;
    details["key"] = e.key;
    details["reason"] = e.reason;
    details["detail"] = e.detail;
    for (auto const& [k, v] : e.labels) {
        details["label." + k] = v;
    }
    auto tags = nlohmann::ordered_json::array({"portwatch"});
    if (!e.group.empty()) {
        tags.push_back(e.group);
    }
    nlohmann::ordered_json j;
    // Opsgenie cuts message at 130 characters; keep UTF-8 whole.
    auto message = event_title(e);
    if (message.size() > 130) {
        auto end = std::size_t{127};
        while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) {
            --end;
        }
        message = message.substr(0, end) + "...";
    }
    j["message"] = message;
    j["alias"] = alias;
    j["description"] = n.message;
    j["source"] = "portwatch";
    j["entity"] = e.name.empty() ? e.key : e.name;
    j["tags"] = tags;
    j["details"] = details;
    j["priority"] = e.kind == eval::EventKind::cert_expiring ? "P4" : options.priority;
    return {"/v2/alerts", dump_json(j)};
}

void validate_opsgenie(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(spec, {"api_key", "api_key_file", "api_key_env", "priority"}, false,
                                out);
    validate_http_common(spec, false, false, out);
    validate_secret(spec, "api_key", true, out);
    if (spec.options.contains("priority")) {
        auto const p = option_value(spec, "priority");
        if (p.size() != 2 || p[0] != 'P' || p[1] < '1' || p[1] > '5') {
            out.push_back(config::option_error(spec, "priority", "expected P1 to P5"));
        }
    }
}

std::unique_ptr<Notifier> create_opsgenie(boost::asio::io_context& io,
                                          config::NotifierSpec const& spec,
                                          NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "https://api.opsgenie.com");
    auto const key = secret_value(spec, "api_key", context.base_dir.string());
    OpsgenieOptions const options{.priority = option_value(spec, "priority", "P2")};
    return std::make_unique<HttpNotifier>(
        io, spec.name,
        [key, endpoint, options](Notification const& n) {
            auto const call = opsgenie_call(n, options);
            auto r = json_post(join_url(endpoint.url, call.path), call.body, endpoint.tls);
            r.headers.emplace_back("Authorization", "GenieKey " + key);
            return std::optional(std::move(r));
        },
        std::vector<std::string>{key});
}

}  // namespace portwatch::notify
