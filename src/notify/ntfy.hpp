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

/// ntfy: POST the message to `url`/`topic` (url default https://ntfy.sh; without `topic`,
/// `url` is the topic's own URL, e.g. https://ntfy.example/alerts), with Title,
/// Priority and Tags headers; `token` (secret, optional) as a Bearer token; `priority`
/// (1-5) overrides the default by event (DOWN 4, expiring 3, UP and renewed 3).
struct NtfyOptions {
    std::string priority;  ///< empty: by event
};

/// Pure: the request for a notification (the caller adds url, TLS and Authorization):
/// headers (Title RFC 2047 encoded when not ASCII, Priority, Tags) and the body.
HttpRequest ntfy_request(Notification const& n, NtfyOptions const& options);

void validate_ntfy(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_ntfy(boost::asio::io_context& io, config::NotifierSpec const& spec,
                                      NotifierContext const& context);

}  // namespace portwatch::notify
