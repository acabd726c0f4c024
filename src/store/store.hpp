#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eval/evaluator.hpp"
#include "eval/event.hpp"
#include "store/batch.hpp"
#include "store/history.hpp"
#include "store/outbox_entry.hpp"
#include "util/result.hpp"
#include "util/time.hpp"

namespace portwatch::store {

/// Everything a store holds for the drivers: target states by key, in list order, and the
/// outbox in the order events happened. Look targets up through a StateIndex
/// (store/state_index.hpp).
struct State {
    std::vector<std::pair<std::string, eval::TargetState>> targets;
    std::vector<OutboxEntry> outbox;

    bool operator==(State const&) const = default;
};

struct Loaded {
    State state;
    /// Problems the user must hear about (corrupt file set aside, unknown values skipped).
    std::vector<std::string> warnings;
    /// Targets left out by OpenOptions::keep_key (their next commit drops them).
    std::size_t left_out = 0;
};

/// How open_store() opens a backend.
struct OpenOptions {
    /// Take the one-instance lock before anything else, waiting at most this long; none: the
    /// caller may call Store::lock() itself (or not lock at all, e.g. a dry run).
    std::optional<std::chrono::milliseconds> lock_wait;
    /// When set, load() gives only the targets whose key it accepts (a `check` run keeps the
    /// listed ones: a state file of millions of stale keys must not cost their memory).
    /// Backends that load no target state ignore it.
    std::function<bool(std::string_view key)> keep_key;
};

/// Persistence of target state, the outbox and (some backends) history: the contract both
/// `check` and the daemon use. One node's backends (json, sqlite) implement the multi-node
/// parts (claims, target leases) trivially but correctly; a shared backend (PostgreSQL) with
/// its database's clock and row locks. The writing methods belong to one thread at a time.
class Store {
  public:
    virtual ~Store() = default;

    /// Target states (in order) and the pending outbox (in event order).
    virtual util::Result<Loaded> load() = 0;

    /// Writes a batch atomically: after a crash at any instant load() returns either the
    /// previous or the new content, never a mix.
    virtual util::Result<void> commit(Batch const& batch) = 0;

    /// Replaces every target state and the whole outbox (the `check` driver's contract):
    /// commit() of a Batch with both `complete_` flags set (claims of entries still in the
    /// outbox stand).
    virtual util::Result<void> commit(State const& state);

    /// Claims due entries for delivery by `owner`: at most `limit` entries, each the oldest
    /// of its (key, destination) queue, due (next_attempt <= now) and not under another live
    /// claim; each is then leased to `owner` until now + lease. A commit that puts or deletes
    /// the entry releases it; an expired lease makes it claimable again.
    virtual util::Result<std::vector<OutboxEntry>> claim(std::string const& owner,
                                                         std::size_t limit,
                                                         std::chrono::milliseconds lease,
                                                         util::TimePoint now) = 0;

    /// Target ownership for nodes sharing one store: leases those of `keys` that are free
    /// (or already `owner`'s, or whose lease expired) to `owner` until now + lease, and
    /// returns them. A single-node store owns every target: it returns `keys`.
    virtual util::Result<std::vector<std::string>> lease_targets(
        std::string const& owner, std::vector<std::string> const& keys,
        std::chrono::milliseconds lease, util::TimePoint now);

    /// Deletes history (transitions, rollups) older than `before`; nothing to do without.
    virtual util::Result<void> prune(util::TimePoint before);

    /// One bounded step of history upkeep at `now`: what prune(before) deletes, and rows of
    /// the finer rollup tiers past their own keep time (store/sqlite.hpp), at most `max_rows`
    /// rows. True when more remains (call again). The default runs prune(before) whole.
    virtual util::Result<bool> compact(util::TimePoint now, util::TimePoint before,
                                       std::size_t max_rows);

    /// History reads for the HTTP layer (safe from another thread), or null for a store that
    /// keeps no history.
    virtual HistoryReader* history();

    /// Takes the one-instance lock (one writer per state), waiting at most `wait`. A timeout
    /// is StoreError::locked (which compares equal to std::errc::timed_out and to
    /// StoreCondition::busy). Held until the store is destroyed.
    virtual util::Result<void> lock(std::chrono::milliseconds wait) = 0;

    /// Human-readable location, for logs (the URL).
    virtual std::string describe() const = 0;
};

}  // namespace portwatch::store
