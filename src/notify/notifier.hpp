#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "eval/event.hpp"

namespace portwatch::notify {

/// A message ready to deliver: the event and its rendered text.
struct Notification {
    eval::Event event;
    std::string message;

    bool operator==(Notification const&) const = default;
};

struct DeliveryResult {
    bool ok = false;
    /// Why it failed ("exit status 1", "timed out after 30 s", "cannot execute ...: ..."),
    /// or a short success note.
    std::string detail;
};

/// Delivers notifications. deliver() starts the delivery and returns at once; `done` runs
/// exactly once on the caller's event loop, at the latest shortly after `timeout`.
class Notifier {
  public:
    using Completion = std::function<void(DeliveryResult)>;
    virtual ~Notifier() = default;
    virtual void deliver(Notification const& n, std::chrono::milliseconds timeout,
                         Completion done) = 0;
};

}  // namespace portwatch::notify
