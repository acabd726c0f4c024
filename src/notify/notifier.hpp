#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "eval/event.hpp"
#include "notify/error.hpp"

namespace portwatch::notify {

/// A message ready to deliver: the event and its rendered text. A grouped message (an alert
/// storm, see grouping.hpp) also lists every event it stands for in `grouped`; `event` is
/// then the first of them.
struct Notification {
    eval::Event event;
    std::string message;
    std::vector<eval::Event> grouped;

    bool operator==(Notification const&) const = default;
};

/// What a notifier type may need from its surroundings when it is created.
struct NotifierContext {
    /// Relative paths resolve here: the config's (or the list's) directory; exec's default
    /// command is push_msg.py in it, and its children run there.
    std::filesystem::path base_dir;
};

/// One destination: delivers notifications. deliver() starts the delivery and returns at
/// once; `done` runs exactly once on the caller's event loop, never inside deliver(), at the
/// latest shortly after `timeout`.
class Notifier {
  public:
    using Completion = std::function<void(DeliveryResult)>;
    virtual ~Notifier() = default;
    /// The destination's name (config `name:`), as stored in OutboxEntry::destination.
    virtual std::string const& name() const = 0;
    virtual void deliver(Notification const& n, std::chrono::milliseconds timeout,
                         Completion done) = 0;
    /// A target is DOWN when the daemon starts (its state loaded from the store), with the
    /// DOWN event and message this destination was sent for it (rebuilt from that state). A
    /// notifier that keeps open incidents in memory takes it up again (alertmanager re-sends
    /// its alert); it sends nothing for it now. Default: nothing.
    virtual void restore_firing(Notification const& n) { (void)n; }
};

}  // namespace portwatch::notify
