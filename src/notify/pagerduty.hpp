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

/// PagerDuty Events API v2: POST `url`/v2/enqueue (url default
/// https://events.pagerduty.com) with the integration's `routing_key` (secret). DOWN
/// triggers (reminders re-trigger the same alert), UP resolves; the dedup_key is the event's
/// incident id (target key and incident start), so one incident is one alert. A certificate
/// warning triggers with severity warning under "KEY/cert", which its renewal resolves.
struct PagerDutyOptions {
    std::string routing_key;
    std::string severity = "critical";  ///< of DOWN alerts: critical, error, warning or info
};

/// Pure: the dedup_key of an event.
std::string pagerduty_dedup_key(eval::Event const& e);

/// Pure: the JSON body for a notification.
std::string pagerduty_payload(Notification const& n, PagerDutyOptions const& options);

void validate_pagerduty(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_pagerduty(boost::asio::io_context& io,
                                           config::NotifierSpec const& spec,
                                           NotifierContext const& context);

}  // namespace portwatch::notify
