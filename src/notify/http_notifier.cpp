#include "notify/http_notifier.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "notify/secret.hpp"

namespace portwatch::notify {

namespace asio = boost::asio;

std::string redact(std::string text, std::vector<std::string> const& secrets) {
    for (auto const& s : secrets) {
        if (s.empty()) {
            continue;
        }
        for (auto at = text.find(s); at != std::string::npos; at = text.find(s, at)) {
            text.replace(at, s.size(), "<redacted>");
            at += 10;
        }
    }
    return text;
}

DeliveryResult map_http_outcome(HttpResponse const& r, std::vector<std::string> const& secrets) {
    if (!r.transport_error.empty()) {
        auto const error =
            r.timed_out ? DeliveryError::timed_out : DeliveryError::connection_failed;
        return DeliveryResult{error, redact(r.transport_error, secrets), {}};
    }
    if (r.status >= 200 && r.status < 300) {
        return {};
    }
    // The start of the body says why (Slack's "invalid_payload", Telegram's description).
    std::string body = r.body.substr(0, 200);
    std::replace_if(
        body.begin(), body.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    auto const detail = redact(body.empty() ? fmt::format("HTTP status {}", r.status)
                                            : fmt::format("HTTP status {}: {}", r.status, body),
                               secrets);
    if (r.status == 429) {
        return DeliveryResult{DeliveryError::rate_limited, detail, r.retry_after};
    }
    if (r.status == 408 || r.status >= 500) {
        return DeliveryResult{DeliveryError::http_status, detail, r.retry_after};
    }
    return DeliveryResult{DeliveryError::rejected, detail, {}};
}

HttpNotifier::HttpNotifier(asio::io_context& io, std::string name, Build build,
                           std::vector<std::string> secrets)
    : io_(io),
      name_(std::move(name)),
      build_(std::move(build)),
      secrets_(std::move(secrets)),
      client_(TransferClient::of(io)) {}

void HttpNotifier::deliver(Notification const& n, std::chrono::milliseconds timeout,
                           Completion done) {
    std::optional<HttpRequest> request;
    try {
        request = build_(n);
    } catch (std::exception const& ex) {
        asio::post(io_, [done = std::move(done), what = std::string(ex.what())] {
            done(DeliveryResult{DeliveryError::misconfigured,
                                fmt::format("cannot build the request: {}", what),
                                {}});
        });
        return;
    }
    if (!request) {
        asio::post(io_, [done = std::move(done)] { done(DeliveryResult{}); });
        return;
    }
    request->timeout = timeout;
    client_->http(std::move(*request), [done = std::move(done), secrets = secrets_](
                                           HttpResponse r) { done(map_http_outcome(r, secrets)); });
}

void reject_unknown_http_options(config::NotifierSpec const& spec,
                                 std::initializer_list<std::string_view> own, bool url_secret,
                                 std::vector<config::Diagnostic>& out) {
    std::vector<std::string_view> known(own);
    for (std::string_view k : {"url", "url_file", "url_env", "ca_file", "tls_verify"}) {
        if (url_secret || !k.starts_with("url_")) {
            known.push_back(k);
        }
    }
    for (auto const& [key, option] : spec.options) {
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            out.push_back(config::option_error(
                spec, key,
                fmt::format("unknown key for type {} (expected one of: name, type, timeout, "
                            "concurrency, max_age, templates, {})",
                            spec.type, fmt::join(known, ", "))));
        }
    }
}

void require_value(config::NotifierSpec const& spec, std::string_view key,
                   std::vector<config::Diagnostic>& out) {
    std::string const k(key);
    auto const it = spec.options.find(k);
    if (it == spec.options.end()) {
        out.push_back(config::option_error(spec, k, "missing"));
    } else if (it->second.list || it->second.mapping || it->second.values.size() != 1 ||
               it->second.values[0].empty()) {
        out.push_back(config::option_error(spec, k, "expected one non-empty value"));
    }
}

void validate_http_common(config::NotifierSpec const& spec, bool url_required, bool url_secret,
                          std::vector<config::Diagnostic>& out) {
    std::vector<config::Diagnostic> url_errors;
    if (url_secret) {
        validate_secret(spec, "url", url_required, url_errors);
    } else if (url_required || spec.options.contains("url")) {
        require_value(spec, "url", url_errors);
    }
    out.insert(out.end(), url_errors.begin(), url_errors.end());
    // A URL written in the config is checked for its scheme; a secret one is not shown.
    if (url_errors.empty() && spec.options.contains("url")) {
        auto const url = option_value(spec, "url");
        if (!url.starts_with("http://") && !url.starts_with("https://")) {
            out.push_back(config::option_error(
                spec, "url",
                "expected an http:// or https:// URL"));  // not shown: it may carry a token
        }
    }
    if (spec.options.contains("ca_file")) {
        auto const before = out.size();
        require_value(spec, "ca_file", out);
        std::filesystem::path ca(option_value(spec, "ca_file"));
        if (ca.is_relative()) {
            ca = std::filesystem::path(spec.file).parent_path() / ca;
        }
        std::error_code ec;
        if (out.size() == before && !std::filesystem::is_regular_file(ca, ec)) {
            out.push_back(config::option_error(
                spec, "ca_file", fmt::format("{} is not a readable file", ca.string())));
        }
    }
    validate_bool_option(spec, "tls_verify", out);
}

HttpEndpoint http_endpoint(config::NotifierSpec const& spec, NotifierContext const& context,
                           std::string_view default_url) {
    HttpEndpoint e;
    e.url = secret_value(spec, "url", context.base_dir.string());
    if (e.url.empty()) {
        e.url = std::string(default_url);
    }
    e.tls.verify = bool_option(spec, "tls_verify", true);
    auto ca = option_value(spec, "ca_file");
    if (!ca.empty() && std::filesystem::path(ca).is_relative() && !context.base_dir.empty()) {
        ca = (context.base_dir / ca).string();
    }
    e.tls.ca_file = ca;
    return e;
}

std::vector<std::string> url_secrets(std::string const& url) {
    std::vector<std::string> out{url};
    if (auto const scheme = url.find("://"); scheme != std::string::npos) {
        if (auto const path = url.find('/', scheme + 3); path != std::string::npos) {
            if (url.size() - path > 1) {
                out.push_back(url.substr(path));
            }
        }
    }
    return out;
}

std::string join_url(std::string base, std::string_view path) {
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    return base + std::string(path);
}

std::string iso_utc(util::TimePoint t) {
    auto const secs =
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    std::time_t const tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string dump_json(nlohmann::ordered_json const& j) {
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string event_title(eval::Event const& e) {
    char const* what = "DOWN";
    switch (e.kind) {
        case eval::EventKind::down:
            what = "DOWN";
            break;
        case eval::EventKind::up:
            what = "UP";
            break;
        case eval::EventKind::cert_expiring:
            what = "CERT EXPIRING";
            break;
        case eval::EventKind::cert_renewed:
            what = "CERT RENEWED";
            break;
    }
    if (e.name.empty() || e.name == e.key) {
        return fmt::format("{} {}", what, e.key);
    }
    return fmt::format("{} {} ({})", what, e.name, e.key);
}

int event_colour(eval::EventKind k) {
    switch (k) {
        case eval::EventKind::down:
            return 0xD00000;
        case eval::EventKind::cert_expiring:
            return 0xDAA038;
        case eval::EventKind::up:
        case eval::EventKind::cert_renewed:
            break;
    }
    return 0x2EB886;
}

HttpRequest json_post(std::string url, std::string body, TransferTls tls) {
    return HttpRequest{.url = std::move(url),
                       .headers = {{"Content-Type", "application/json"}},
                       .body = std::move(body),
                       .tls = std::move(tls)};
}

std::string escape_amp_lt_gt(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace portwatch::notify
