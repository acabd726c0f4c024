#include "notify/ntfy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "notify/http_notifier.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

namespace {

/// A header value: as is when printable ASCII, else an RFC 2047 encoded word (ntfy decodes it).
std::string header_text(std::string const& s) {
    if (std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7F; })) {
        return s;
    }
    static constexpr char table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string b64;
    std::size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        unsigned const v = (static_cast<unsigned char>(s[i]) << 16) |
                           (static_cast<unsigned char>(s[i + 1]) << 8) |
                           static_cast<unsigned char>(s[i + 2]);
        b64 += {table[(v >> 18) & 63], table[(v >> 12) & 63], table[(v >> 6) & 63], table[v & 63]};
    }
    if (i + 1 == s.size()) {
        unsigned const v = static_cast<unsigned char>(s[i]) << 16;
        b64 += {table[(v >> 18) & 63], table[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == s.size()) {
        unsigned const v =
            (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8);
        b64 += {table[(v >> 18) & 63], table[(v >> 12) & 63], table[(v >> 6) & 63], '='};
    }
    return fmt::format("=?UTF-8?B?{}?=", b64);
}

}  // namespace

HttpRequest ntfy_request(Notification const& n, NtfyOptions const& options) {
    auto const& e = n.event;
    char const* priority = "3";
    char const* tags = "white_check_mark";
    switch (e.kind) {
        case eval::EventKind::down:
            priority = "4";
            tags = "rotating_light";
            break;
        case eval::EventKind::cert_expiring:
            tags = "warning";
            break;
        case eval::EventKind::up:
        case eval::EventKind::cert_renewed:
            break;
    }
    HttpRequest r;
    r.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                 {"Title", header_text(event_title(e))},
                 {"Priority", options.priority.empty() ? priority : options.priority},
                 {"Tags", tags}};
    r.body = n.message;
    return r;
}

void validate_ntfy(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(spec, {"topic", "priority", "token", "token_file", "token_env"},
                                false, out);
    // Either `url` is the topic's URL, or `topic` is added to `url` (default https://ntfy.sh).
    bool const has_topic = spec.options.contains("topic");
    validate_http_common(spec, !has_topic, false, out);
    validate_secret(spec, "token", false, out);
    if (has_topic) {
        require_value(spec, "topic", out);
    }
    if (auto const t = option_value(spec, "topic"); t.find_first_of("/?#") != std::string::npos) {
        out.push_back(config::option_error(spec, "topic", "expected a topic name (no / ? #)"));
    }
    if (spec.options.contains("priority")) {
        auto const p = option_value(spec, "priority");
        if (p.size() != 1 || p[0] < '1' || p[0] > '5') {
            out.push_back(config::option_error(spec, "priority", "expected 1 to 5"));
        }
    }
}

std::unique_ptr<Notifier> create_ntfy(boost::asio::io_context& io, config::NotifierSpec const& spec,
                                      NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "https://ntfy.sh");
    auto const topic = option_value(spec, "topic");
    auto const url = topic.empty() ? endpoint.url : join_url(endpoint.url, "/" + topic);
    auto const token = secret_value(spec, "token", context.base_dir.string());
    NtfyOptions const options{.priority = option_value(spec, "priority")};
    return std::make_unique<HttpNotifier>(
        io, spec.name,
        [url, token, endpoint, options](Notification const& n) {
            auto r = ntfy_request(n, options);
            r.url = url;
            r.tls = endpoint.tls;
            if (!token.empty()) {
                r.headers.emplace_back("Authorization", "Bearer " + token);
            }
            return std::optional(std::move(r));
        },
        std::vector<std::string>{token});
}

}  // namespace portwatch::notify
