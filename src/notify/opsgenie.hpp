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

/// Opsgenie Alert API: `url` (default https://api.opsgenie.com; the EU instance is
/// https://api.eu.opsgenie.com), `api_key` (secret, sent as "GenieKey KEY"), `priority` of
/// DOWN alerts (P1-P5, default P2; certificate warnings P4). DOWN creates an alert whose
/// alias is the incident id, UP closes it by alias; certificate warnings use "KEY/cert".
struct OpsgenieOptions {
    std::string priority = "P2";
};

/// One Alert API call: the path below `url` and its JSON body.
struct OpsgenieCall {
    std::string path;
    std::string body;
};

/// Pure: the alias of an event.
std::string opsgenie_alias(eval::Event const& e);

/// Pure: the call for a notification.
OpsgenieCall opsgenie_call(Notification const& n, OpsgenieOptions const& options = {});

void validate_opsgenie(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_opsgenie(boost::asio::io_context& io,
                                          config::NotifierSpec const& spec,
                                          NotifierContext const& context);

}  // namespace portwatch::notify
