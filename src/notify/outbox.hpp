#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "notify/notifier.hpp"
#include "notify/outbox_settings.hpp"
#include "notify/retry.hpp"
#include "store/store.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

/// The two clocks the dispatcher reads: steady for waits and ages within the process, wall
/// for what is stored (next_attempt) and for the age an event brings from an earlier run.
struct OutboxClock {
    std::function<std::chrono::steady_clock::time_point()> steady;
    std::function<util::TimePoint()> wall;

    /// The system's clocks.
    static OutboxClock system();
};

struct OutboxOptions {
    /// check: every entry is due on load whatever its stored next_attempt (the seed retries
    /// on the very next run) and a head that failed waits for the next run. daemon: the
    /// stored next_attempt is honoured (bounded, see retry.hpp) and failures are retried
    /// with backoff within the process.
    enum class Mode { check, daemon };
    Mode mode = Mode::check;
    std::size_t concurrency = 4;      ///< deliveries at once, all destinations together
    std::size_t per_destination = 0;  ///< deliveries at once per destination; 0 = no own cap
    std::chrono::milliseconds timeout{30000};
    RetryPolicy retry;
    /// After this many timeouts in a row on one destination, it waits: for the rest of the
    /// run (check) or for breaker_pause (daemon). 0 = no breaker.
    int breaker_timeouts = 3;
    std::chrono::seconds breaker_pause{300};
    /// daemon: most entries held per destination (0 = no cap; check bounds its state file
    /// itself, --max-pending). Past it, the target whose entry was just added keeps only its
    /// oldest (it may be in flight) and its newest entry; those between are coalesced away
    /// (reported as OutboxChange::coalesced, logged as an error). Held entries are then
    /// bounded by the cap plus two per target, whatever the number of events.
    std::size_t max_per_destination = 0;

    bool operator==(OutboxOptions const&) const = default;
};

/// A change the caller must persist. delivered, expired and coalesced: delete the entry; failed and
/// permanent: update it (attempts, next_attempt, last_error). A permanent entry is never
/// retried by this process; it stays in the store until the store can mark it.
struct OutboxChange {
    enum class Kind { delivered, failed, permanent, expired, coalesced };
    Kind kind = Kind::delivered;
    store::OutboxEntry entry;  ///< as it is now (identity: event.id, destination)
    DeliveryResult result;     ///< the attempt's outcome (empty for expired)
    /// daemon, delivered: the entry's (key, destination) sends nothing more until
    /// mark_durable() covers this sequence, i.e. until the deletion is committed. A kill then
    /// re-sends at most the one message whose deletion was not saved (issue 17 item 7).
    /// 0 otherwise.
    std::uint64_t seq = 0;
};

/// Counters, for logs and tests (cost is asserted on `examined`, never on time).
struct OutboxStats {
    std::size_t delivered = 0;
    std::size_t failed = 0;     ///< attempts that failed (retryable or timeout)
    std::size_t cancelled = 0;  ///< attempts cancelled (not failures)
    std::size_t permanent = 0;
    std::size_t expired = 0;
    std::size_t coalesced = 0;  ///< dropped by max_per_destination
    std::size_t started = 0;    ///< deliveries started
    std::size_t examined = 0;   ///< entries the dispatcher looked at, over its life
};

/// THE outbox dispatcher of both modes. Entries are per (event, destination) and ordered per
/// (event.key, destination): one in flight at a time per pair, in the order added. Each
/// destination has its own queues, cap and breaker, so a failing one never delays another.
/// Cost is per due entry: only queue heads are ever looked at, through a heap of due times.
///
/// Single-threaded: call everything on the loop the notifiers complete on.
///
/// check: add() every loaded entry and this run's (all durable: the state was committed
/// first), drain(io, outbox), commit what on_change reported, log_pending().
/// daemon: add() loaded entries as durable; add(entry, false) new ones and pass the returned
/// sequence to mark_durable() when their batch commit finished (forget() when it failed);
/// persist on_change's changes in the next batch; after each pump(), arm a steady timer for
/// next_due() that calls pump(); stop() at shutdown.
class Outbox {
  public:
    using Sequence = std::uint64_t;
    using OnChange = std::function<void(OutboxChange const&)>;

    Outbox(OutboxOptions options, OutboxClock clock, OnChange on_change);
    ~Outbox();
    Outbox(Outbox const&) = delete;
    Outbox& operator=(Outbox const&) = delete;

    /// Routes entries whose destination is `name` to `notifier` (which must outlive the
    /// outbox or be replaced first). Replacing a destination keeps its queues; deliveries
    /// already running finish under the notifier they started with.
    /// `settings` (timeout, cap) default to the options' timeout and per_destination; they
    /// apply to deliveries started from now on.
    void set_destination(std::string const& name, Notifier& notifier,
                         std::optional<DestinationSettings> settings = std::nullopt);

    /// Adds an entry after those of its (key, destination). A `durable` entry (loaded from
    /// the store) may go at once; otherwise only once mark_durable() covers its sequence.
    /// Entries of a destination nobody set wait (and are said once). Returns the sequence to
    /// pass to mark_durable() once the entry's commit finished.
    Sequence add(store::OutboxEntry entry, bool durable = true);
    /// Every entry added with a sequence up to `upto` is committed: it may be delivered.
    void mark_durable(Sequence upto);
    /// The commit of the entries added up to `upto` (and not yet durable) failed: they are
    /// dropped, never announced (what is not saved is not sent).
    void forget(Sequence upto);

    /// Starts what is due now, up to the caps, then reports changes (entries that expired on
    /// add() are reported here). Call it after add(); mark_durable() and completions call it
    /// themselves; the daemon also calls it when next_due() is reached.
    void pump();
    /// When pump() has something to start next (steady time); nullopt when nothing waits on
    /// time alone.
    std::optional<std::chrono::steady_clock::time_point> next_due() const;
    /// No new delivery starts from now on; those in flight finish.
    void stop();

    std::size_t in_flight() const;
    std::size_t pending() const;  ///< entries held, in flight included
    OutboxStats const& stats() const;

    /// Logs, per (key, destination) still holding entries, when it is next due (at most
    /// `limit` lines, then a count): what a `check` run says of what it defers.
    void log_pending(std::size_t limit = 20) const;
    /// Every entry held, in order per (key, destination): what a store written anew must hold.
    std::vector<store::OutboxEntry> entries() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

/// Runs `io` until `outbox` has nothing in flight and nothing due: a `check` run's delivery.
void drain(boost::asio::io_context& io, Outbox& outbox);

}  // namespace portwatch::notify
