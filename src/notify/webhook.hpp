#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/notifier.hpp"
#include "notify/notifier.hpp"
#include "notify/transfer.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

/// A generic webhook: `url` (required; url_file or url_env as well, as it may carry a token),
/// `method` (POST, PUT or PATCH; default POST), `headers` (a mapping), `body` (a template;
/// placeholders as in messages plus {message}, each value JSON-escaped, so write `"{detail}"`
/// inside quotes). Without `body` the body is webhook_default_body().
struct WebhookOptions {
    std::string method = "POST";
    std::map<std::string, std::string> headers;
    std::string body;  ///< empty: the default body
};

/// Pure: the event as a JSON object (event, id, name, key, host, port, description, group,
/// labels, reason, detail, time, down_since, incident_id, reminder, message).
std::string webhook_default_body(Notification const& n);

/// Pure: `tmpl` with {placeholders} replaced by their JSON-escaped values (no quotes added);
/// unknown names kept as written.
std::string render_json_template(std::string_view tmpl, Notification const& n);

/// Pure: the request for a notification (url and TLS left to the caller).
HttpRequest webhook_request(Notification const& n, WebhookOptions const& options);

void validate_webhook(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_webhook(boost::asio::io_context& io,
                                         config::NotifierSpec const& spec,
                                         NotifierContext const& context);

}  // namespace portwatch::notify
