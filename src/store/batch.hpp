#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "eval/evaluator.hpp"
#include "store/history.hpp"
#include "store/outbox_entry.hpp"

namespace portwatch::store {

/// One minute of one target's checks, aggregated in memory before it is written.
struct MinuteRollup {
    std::string key;
    std::int64_t minute = 0;  ///< minutes since the epoch
    std::uint64_t checks = 0;
    std::uint64_t failures = 0;
    std::uint64_t latency_count = 0;  ///< successful checks, whose latency is kept
    double latency_min_ms = 0;
    double latency_sum_ms = 0;
    double latency_max_ms = 0;

    bool operator==(MinuteRollup const&) const = default;
};

/// What one Store::commit() writes, all of it or nothing: durable before visible, so a
/// transition and its outbox entries land together.
struct Batch {
    /// Upserts by key. A new key goes after every key already stored.
    std::vector<std::pair<std::string, eval::TargetState>> states;
    /// `states` is the complete set, in this order: every other stored key is dropped
    /// (the `check` driver's contract).
    bool complete_states = false;
    std::vector<std::string> removed;  ///< keys dropped (after the upserts)
    /// New entries (appended to their (key, destination) queue), or updated retry state of
    /// entries already stored, by OutboxId. A put releases the entry's claim.
    std::vector<OutboxEntry> outbox_put;
    /// `outbox_put` is the whole outbox, in order: every other entry is dropped.
    bool complete_outbox = false;
    std::vector<OutboxId> outbox_delete;  ///< delivered or expired entries
    std::vector<Transition> transitions;  ///< history (stores without history ignore them)
    std::vector<MinuteRollup> rollups;    ///< merged into existing rows of the same minute

    /// Nothing to write: no change and no flag that drops anything.
    bool empty() const {
        return states.empty() && !complete_states && removed.empty() && outbox_put.empty() &&
               !complete_outbox && outbox_delete.empty() && transitions.empty() && rollups.empty();
    }
};

}  // namespace portwatch::store
