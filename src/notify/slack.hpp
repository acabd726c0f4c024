#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/notifier.hpp"
#include "notify/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

/// Slack incoming webhook: `url` (secret: url, url_file or url_env; it carries the token),
/// optional `channel` and `username` overrides. The attachment is coloured by event kind.
/// Text is escaped for mrkdwn (&, <, >).
struct SlackOptions {
    std::string channel;
    std::string username;  ///< empty: the webhook's own
};

/// Pure: `text` with &, < and > escaped, as Slack's mrkdwn requires of literal text.
std::string slack_escape(std::string_view text);

/// Pure: the JSON body posted to the webhook for a notification.
std::string slack_payload(Notification const& n, SlackOptions const& options = {});

void validate_slack(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_slack(boost::asio::io_context& io,
                                       config::NotifierSpec const& spec,
                                       NotifierContext const& context);

}  // namespace portwatch::notify
