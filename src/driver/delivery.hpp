#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "config/notifier.hpp"
#include "notify/outbox.hpp"
#include "store/store.hpp"
#include "util/result.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::driver {

class NotifierSet;

struct DeliveryStats {
    std::size_t delivered = 0;
    std::size_t failed = 0;     ///< attempted this run and failed (kept)
    std::size_t deferred = 0;   ///< not attempted this run (order, breaker, a refusal; kept)
    std::size_t dropped = 0;    ///< expired and dropped
    bool store_failed = false;  ///< a commit failed: the file still holds older content
    std::size_t pending() const { return failed + deferred; }
};

using CommitFn = std::function<util::Result<void>(store::State const&)>;

/// `check`'s delivery: every entry of state.outbox goes through the one outbox dispatcher
/// (notify::Outbox, check mode) to its destination in `notifiers`, running `io` until nothing
/// is left to start. Delivered and expired entries leave state.outbox, failed ones keep their
/// attempts and next_attempt; `commit` persists that, coalesced (at most one commit per
/// max(`flush_interval`, 10x the last commit's duration)) and once at the end. At worst, a
/// crash re-delivers what was sent since the last commit.
DeliveryStats deliver_outbox(
    boost::asio::io_context& io, NotifierSet& notifiers,
    std::vector<config::NotifierSpec> const& specs, store::State& state, CommitFn const& commit,
    notify::OutboxOptions options, notify::OutboxClock clock,
    std::chrono::milliseconds flush_interval = std::chrono::milliseconds(100));

/// Keeps at most `limit` entries of `outbox` (in event order), dropping the oldest with one
/// error line that says how many and what to raise. Returns how many were dropped.
std::size_t drop_oldest_beyond(std::vector<store::OutboxEntry>& outbox, std::size_t limit);

/// Kills the notifier process groups an earlier, killed run on this store left running, so
/// that none of them delivers an old message after this run's newer one (issue 17 item 3),
/// and records this run's from now on (notify/child_ledger.hpp). Call it holding the store's
/// lock; a store without a lock file (or a URL that names none) has nothing to do.
void stop_leftover_notifiers(std::string const& store_url);

}  // namespace portwatch::driver
