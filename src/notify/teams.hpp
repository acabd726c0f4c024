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

/// Microsoft Teams through a Workflows ("Post to a channel when a webhook request is
/// received") URL: `url` (secret: url, url_file or url_env). The payload is a message with one
/// Adaptive Card (the retired O365 connector format is not used).
struct TeamsOptions {};

/// Pure: the JSON body posted to the webhook for a notification.
std::string teams_payload(Notification const& n, TeamsOptions const& options = {});

void validate_teams(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_teams(boost::asio::io_context& io,
                                       config::NotifierSpec const& spec,
                                       NotifierContext const& context);

}  // namespace portwatch::notify
