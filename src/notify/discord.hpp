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

/// Discord webhook: `url` (secret: url, url_file or url_env), optional `username`. One embed
/// per message, coloured by event kind.
struct DiscordOptions {
    std::string username;  ///< empty: the webhook's own
};

/// Pure: the JSON body posted to the webhook for a notification.
std::string discord_payload(Notification const& n, DiscordOptions const& options = {});

void validate_discord(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_discord(boost::asio::io_context& io,
                                         config::NotifierSpec const& spec,
                                         NotifierContext const& context);

}  // namespace portwatch::notify
