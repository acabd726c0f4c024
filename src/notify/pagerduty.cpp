#include "notify/pagerduty.hpp"

#include "notify/http_notifier.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

std::string pagerduty_dedup_key(eval::Event const& e) {
    bool const cert =
        e.kind == eval::EventKind::cert_expiring || e.kind == eval::EventKind::cert_renewed;
    // A renewal carries the new certificate's date: the warning's key must not depend on it.
    return cert ? e.key + "/cert" : e.incident_id();
}

std::string pagerduty_payload(Notification const& n, PagerDutyOptions const& options) {
    auto const& e = n.event;
    bool const resolve = e.kind == eval::EventKind::up || e.kind == eval::EventKind::cert_renewed;
    nlohmann::ordered_json j;
    j["routing_key"] = options.routing_key;
    j["event_action"] = resolve ? "resolve" : "trigger";
    j["dedup_key"] = pagerduty_dedup_key(e);
    if (!resolve) {
        nlohmann::ordered_json details;
        details["host"] = e.host;
        details["port"] = e.port;
        details["reason"] = e.reason;
        details["detail"] = e.detail;
        details["labels"] = e.labels;
        if (e.down_since != util::TimePoint{}) {
            details["down_since"] = iso_utc(e.down_since);
        }
        nlohmann::ordered_json payload;
        payload["summary"] = n.message.substr(0, 1024);
        payload["source"] = e.key;
        payload["severity"] =
            e.kind == eval::EventKind::cert_expiring ? "warning" : options.severity;
        payload["timestamp"] = iso_utc(e.time);
        payload["component"] = e.name.empty() ? e.key : e.name;
        if (!e.group.empty()) {
            payload["group"] = e.group;
        }
        payload["class"] = e.kind == eval::EventKind::cert_expiring ? "cert_expiring" : "down";
        payload["custom_details"] = details;
        j["payload"] = payload;
        j["client"] = "portwatch";
    }
    return dump_json(j);
}

void validate_pagerduty(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(
        spec, {"routing_key", "routing_key_file", "routing_key_env", "severity"}, false, out);
    validate_http_common(spec, false, false, out);
    validate_secret(spec, "routing_key", true, out);
    if (spec.options.contains("severity")) {
        auto const s = option_value(spec, "severity");
        if (s != "critical" && s != "error" && s != "warning" && s != "info") {
            out.push_back(config::option_error(spec, "severity",
                                               "expected critical, error, warning or info"));
        }
    }
}

std::unique_ptr<Notifier> create_pagerduty(boost::asio::io_context& io,
                                           config::NotifierSpec const& spec,
                                           NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "https://events.pagerduty.com");
    auto const url = join_url(endpoint.url, "/v2/enqueue");
    PagerDutyOptions const options{
        .routing_key = secret_value(spec, "routing_key", context.base_dir.string()),
        .severity = option_value(spec, "severity", "critical")};
    return std::make_unique<HttpNotifier>(
        io, spec.name,
        [url, endpoint, options](Notification const& n) {
            return std::optional(json_post(url, pagerduty_payload(n, options), endpoint.tls));
        },
        std::vector<std::string>{options.routing_key});
}

}  // namespace portwatch::notify
