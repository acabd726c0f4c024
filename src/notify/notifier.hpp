#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "eval/event.hpp"
#include "notify/error.hpp"

namespace portwatch::notify {

/// A message ready to deliver: the event and its rendered text.
struct Notification {
    eval::Event event;
    std::string message;

    bool operator==(Notification const&) const = default;
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
};

}  // namespace portwatch::notify
