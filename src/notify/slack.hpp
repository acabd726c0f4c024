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

/// Slack incoming webhook: `url` (secret: url, url_file or url_env; it carries the token),
/// optional `channel` and `username` overrides. The attachment is coloured by event kind.
struct SlackOptions {
    std::string channel;
    std::string username;  ///< empty: the webhook's own
};

/// Pure: the JSON body posted to the webhook for a notification.
std::string slack_payload(Notification const& n, SlackOptions const& options = {});

void validate_slack(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_slack(boost::asio::io_context& io,
                                       config::NotifierSpec const& spec,
                                       NotifierContext const& context);

}  // namespace portwatch::notify
