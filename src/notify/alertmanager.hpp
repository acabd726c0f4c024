#pragma once

#include <chrono>
#include <map>
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

/// Prometheus Alertmanager API v2: POST `url`/api/v2/alerts (url required). A DOWN target is
/// an alert named PortwatchTargetDown (a certificate warning PortwatchCertExpiring) with the
/// labels target, key, group, the target's labels and the notifier's `labels:`; UP sends it
/// again with endsAt, which resolves it.
///
/// Alertmanager resolves an alert it has not heard of for its resolve_timeout (5 min by
/// default), so the notifier keeps the alerts it sent as firing and re-posts them every
/// `resend_interval` (default and at most 60 s) until their recovery is delivered. That set
/// lives in memory with the io_context, so a notifier made again on a config reload keeps
/// re-sending it; after a restart the daemon hands every target that is DOWN to
/// restore_firing(), which puts its alert back in the set. An alert Alertmanager refused for
/// good (a 4xx answer to its DOWN) leaves the set: re-sending it cannot succeed.
struct AlertmanagerOptions {
    std::map<std::string, std::string> labels;  ///< added to every alert
};

/// Pure: the alert object of an event (labels, annotations, startsAt, endsAt when resolved).
std::string alertmanager_alert(Notification const& n, AlertmanagerOptions const& options = {});

/// Pure: the body of one POST: a JSON array of the alert.
std::string alertmanager_payload(Notification const& n, AlertmanagerOptions const& options = {});

class AlertmanagerNotifier final : public Notifier {
  public:
    AlertmanagerNotifier(boost::asio::io_context& io, std::string name, std::string url,
                         TransferTls tls, AlertmanagerOptions options,
                         std::chrono::milliseconds resend_interval);
    ~AlertmanagerNotifier() override;
    std::string const& name() const override;
    void deliver(Notification const& n, std::chrono::milliseconds timeout,
                 Completion done) override;
    void restore_firing(Notification const& n) override;
    /// Alerts currently re-sent.
    std::size_t firing() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

void validate_alertmanager(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_alertmanager(boost::asio::io_context& io,
                                              config::NotifierSpec const& spec,
                                              NotifierContext const& context);

}  // namespace portwatch::notify
