#include "notify/gotify.hpp"

#include <charconv>

#include "notify/http_notifier.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

namespace {

int parse_priority(std::string const& s) {
    int v = -1;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && v >= 0 && v <= 10 ? v : -1;
}

}  // namespace

std::string gotify_payload(Notification const& n, GotifyOptions const& options) {
    auto const& e = n.event;
    int priority = options.priority;
    if (priority < 0) {
        priority = e.kind == eval::EventKind::down            ? 8
                   : e.kind == eval::EventKind::cert_expiring ? 5
                                                              : 4;
    }
    nlohmann::ordered_json j;
    j["title"] = event_title(e);
    j["message"] = n.message;
    j["priority"] = priority;
    j["extras"] = {{"client::display", {{"contentType", "text/plain"}}}};
    return dump_json(j);
}

void validate_gotify(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(spec, {"token", "token_file", "token_env", "priority"}, false, out);
    validate_http_common(spec, true, false, out);
    validate_secret(spec, "token", true, out);
    if (spec.options.contains("priority") && parse_priority(option_value(spec, "priority")) < 0) {
        out.push_back(config::option_error(spec, "priority", "expected 0 to 10"));
    }
}

std::unique_ptr<Notifier> create_gotify(boost::asio::io_context& io,
                                        config::NotifierSpec const& spec,
                                        NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "");
    auto const url = join_url(endpoint.url, "/message");
    auto const token = secret_value(spec, "token", context.base_dir.string());
    GotifyOptions const options{.priority = parse_priority(option_value(spec, "priority"))};
    return std::make_unique<HttpNotifier>(
        io, spec.name,
        [url, token, endpoint, options](Notification const& n) {
            auto r = json_post(url, gotify_payload(n, options), endpoint.tls);
            r.headers.emplace_back("X-Gotify-Key", token);
            return std::optional(std::move(r));
        },
        std::vector<std::string>{token});
}

}  // namespace portwatch::notify
