#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "notify/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

struct GroupOptions {
    /// How long events gather before one grouped message goes out; > 0.
    std::chrono::milliseconds window{10000};
    /// The first `after` events of a quiet window go out alone, at once.
    int after = 3;
    /// Events listed in a grouped message; the rest are counted ("+N more").
    int max_lines = 20;
    /// A window holding this many events is sent at once.
    std::size_t max_batch = 1000;
};

/// Alert-storm grouping in front of a notifier (chat kinds by default; `group:` in the
/// config). While events are rare each goes out alone and at once. When more than `after`
/// arrive within `window`, the rest of that window is held and sent as one message; a storm
/// that goes on is sent one message per window, until a window passes with nothing held.
///
/// The outbox still sees every event as its own delivery: each held delivery completes with
/// the grouped message's outcome, so every event stays its own entry, retried (or dropped)
/// on its own. A delivery completes at the latest `window` plus the inner timeout after it
/// started. Destroying the notifier completes held deliveries as cancelled (they go again).
class GroupingNotifier final : public Notifier {
  public:
    GroupingNotifier(boost::asio::io_context& io, std::unique_ptr<Notifier> inner,
                     GroupOptions options);
    ~GroupingNotifier() override;
    std::string const& name() const override;
    void deliver(Notification const& n, std::chrono::milliseconds timeout,
                 Completion done) override;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

/// Pure: the text of a grouped message. A first line counting the events by kind in the
/// seed's words ("portwatch: 장애 12, 복구 3"), then each event's own message up to
/// `max_lines`, then "+N more".
std::string group_message(std::span<Notification const> items, int max_lines);

}  // namespace portwatch::notify
