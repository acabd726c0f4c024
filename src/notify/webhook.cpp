#include "notify/webhook.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "notify/http_notifier.hpp"
#include "notify/message.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

namespace {

/// The value of a placeholder, {message} included.
std::optional<std::string> value_of(std::string_view name, Notification const& n) {
    if (name == "message") {
        return n.message;
    }
    return placeholder_value(name, n.event);
}

bool has_header(std::map<std::string, std::string> const& headers, std::string_view name) {
    return std::any_of(headers.begin(), headers.end(), [&](auto const& h) {
        return std::equal(h.first.begin(), h.first.end(), name.begin(), name.end(),
                          [](char a, char b) { return std::tolower(a) == std::tolower(b); });
    });
}

}  // namespace

std::string webhook_default_body(Notification const& n) {
    auto const& e = n.event;
    nlohmann::ordered_json j;
    j["event"] = eval::event_kind_name(e.kind);
    j["id"] = e.id;
    j["name"] = e.name.empty() ? e.key : e.name;
    j["key"] = e.key;
    j["host"] = e.host;
    j["port"] = e.port;
    j["description"] = e.description;
    j["group"] = e.group;
    j["labels"] = e.labels;
    j["reason"] = e.reason;
    j["detail"] = e.detail;
    j["time"] = iso_utc(e.time);
    j["down_since"] = e.down_since == util::TimePoint{}
                          ? nlohmann::ordered_json(nullptr)
                          : nlohmann::ordered_json(iso_utc(e.down_since));
    j["incident_id"] = e.incident_id();
    j["reminder"] = e.reminder;
    j["message"] = n.message;
    return dump_json(j);
}

std::string render_json_template(std::string_view tmpl, Notification const& n) {
    std::string out;
    std::size_t i = 0;
    while (i < tmpl.size()) {
        auto const open = tmpl.find('{', i);
        if (open == std::string_view::npos) {
            break;
        }
        auto const close = tmpl.find('}', open + 1);
        if (close == std::string_view::npos) {
            break;
        }
        out.append(tmpl.substr(i, open - i));
        auto const name = tmpl.substr(open + 1, close - open - 1);
        if (auto const v = value_of(name, n); v && name.find('{') == std::string_view::npos) {
            auto const quoted = dump_json(nlohmann::ordered_json(*v));
            out.append(quoted, 1, quoted.size() - 2);  // inside the template's own quotes
            i = close + 1;
        } else {
            out.push_back('{');
            i = open + 1;
        }
    }
    out.append(tmpl.substr(i));
    return out;
}

HttpRequest webhook_request(Notification const& n, WebhookOptions const& options) {
    HttpRequest r;
    r.method = options.method;
    r.body = options.body.empty() ? webhook_default_body(n) : render_json_template(options.body, n);
    if (!has_header(options.headers, "Content-Type")) {
        r.headers.emplace_back("Content-Type", "application/json");
    }
    for (auto const& h : options.headers) {
        r.headers.push_back(h);
    }
    return r;
}

void validate_webhook(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(spec, {"method", "headers", "body"}, true, out);
    validate_http_common(spec, true, true, out);
    if (spec.options.contains("method")) {
        auto const m = option_value(spec, "method");
        if (m != "POST" && m != "PUT" && m != "PATCH") {
            out.push_back(config::option_error(spec, "method", "expected POST, PUT or PATCH"));
        }
    }
    if (auto const it = spec.options.find("headers"); it != spec.options.end()) {
        if (!it->second.mapping) {
            out.push_back(config::option_error(spec, "headers", "expected a mapping NAME: VALUE"));
        }
        for (auto const& [name, value] : it->second.entries) {
            bool const bad_name = name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
                                      return c <= ' ' || c == ':' || c == 127;
                                  });
            // The value is not shown: it may be a token.
            if (bad_name || value.find_first_of("\r\n") != std::string::npos) {
                out.push_back(config::option_error(
                    spec, "headers", fmt::format("header '{}' has a bad name or value", name)));
            }
        }
    }
    if (spec.options.contains("body")) {
        require_value(spec, "body", out);
    }
}

std::unique_ptr<Notifier> create_webhook(boost::asio::io_context& io,
                                         config::NotifierSpec const& spec,
                                         NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "");
    WebhookOptions options{.method = option_value(spec, "method", "POST"),
                           .body = option_value(spec, "body")};
    auto secrets = url_secrets(endpoint.url);
    if (auto const it = spec.options.find("headers"); it != spec.options.end()) {
        options.headers = it->second.entries;
        for (auto const& [name, value] : options.headers) {
            if (value.size() >= 8) {
                secrets.push_back(value);  // Authorization and the like
            }
        }
    }
    return std::make_unique<HttpNotifier>(
        io, spec.name,
        [endpoint, options](Notification const& n) {
            auto r = webhook_request(n, options);
            r.url = endpoint.url;
            r.tls = endpoint.tls;
            return std::optional(std::move(r));
        },
        std::move(secrets));
}

}  // namespace portwatch::notify
