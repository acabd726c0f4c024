#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include "notify/notifier.hpp"
#include "store/store.hpp"
#include "util/result.hpp"
#include "util/time.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::driver {

/// When to retry a failed delivery, and when to give up on it.
struct RetryPolicy {
    std::chrono::seconds base{60};                ///< wait after the first failure
    std::chrono::seconds max{3600};               ///< longest wait between attempts
    std::chrono::seconds max_age{7 * 24 * 3600};  ///< events older than this are dropped

    bool operator==(RetryPolicy const&) const = default;
};

/// Pure: earliest next attempt after `attempts` failed ones (exponential, capped).
util::TimePoint next_attempt_after(int attempts, util::TimePoint now, RetryPolicy const& policy);
/// Pure: whether an undelivered entry is too old to deliver.
bool is_expired(store::OutboxEntry const& entry, util::TimePoint now, RetryPolicy const& policy);

struct DeliveryOptions {
    std::size_t concurrency = 4;  ///< notifier calls at once (never two of one target)
    std::chrono::milliseconds timeout{30000};
    RetryPolicy retry;
    /// After this many timeouts in a row, the rest wait for the next run, so one hung
    /// notifier cannot stretch a cron run to (events x timeout).
    int breaker_timeouts = 3;
    /// Coalesce state writes: at most one commit per this interval while delivering.
    std::chrono::milliseconds flush_interval{100};
};

struct DeliveryStats {
    std::size_t delivered = 0;
    std::size_t failed = 0;     ///< attempted this run and failed (kept)
    std::size_t deferred = 0;   ///< not attempted this run (backoff, order, breaker; kept)
    std::size_t dropped = 0;    ///< expired and dropped
    bool store_failed = false;  ///< a commit failed: the file still holds older content
    std::size_t pending() const { return failed + deferred; }
};

using CommitFn = std::function<util::Result<void>(store::State const&)>;
using ClockFn = std::function<util::TimePoint()>;

/// Delivers the eligible entries of state.outbox in order per target through `notifier`,
/// running `io` until none is left to start. Delivered entries leave the outbox, failed ones
/// get their attempt count and next_attempt; `commit` persists that (coalesced, and once at
/// the end). At worst, a crash re-delivers what was sent since the last commit.
DeliveryStats deliver_outbox(boost::asio::io_context& io, notify::Notifier& notifier,
                             store::State& state, CommitFn const& commit,
                             DeliveryOptions const& options, ClockFn const& clock);

}  // namespace portwatch::driver
