#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/notifier.hpp"
#include "notify/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

/// Gotify: POST `url`/message (url required: Gotify is self-hosted) with the application
/// `token` (secret) in X-Gotify-Key; `priority` (0-10) overrides the default by event
/// (DOWN 8, expiring 5, UP and renewed 4).
struct GotifyOptions {
    int priority = -1;  ///< -1: by event
};

/// Pure: the JSON body for a notification.
std::string gotify_payload(Notification const& n, GotifyOptions const& options = {});

void validate_gotify(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_gotify(boost::asio::io_context& io,
                                        config::NotifierSpec const& spec,
                                        NotifierContext const& context);

}  // namespace portwatch::notify
