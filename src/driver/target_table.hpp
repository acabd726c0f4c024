#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "driver/pipeline.hpp"
#include "driver/stats.hpp"
#include "eval/evaluator.hpp"
#include "probe/probe.hpp"

namespace portwatch::driver {

/// One configured target and everything the daemon knows about it.
struct TargetSlot {
    config::TargetSpec spec;
    std::string key;  ///< spec.target.key(), computed once per config
    eval::Thresholds thresholds;
    /// Its kind's parsed options (null for tcp).
    std::shared_ptr<probe::KindOptions const> options;
    /// The destinations of its events (shared by targets with the same `notify:`).
    std::shared_ptr<std::vector<Destination> const> routes;
    bool active = false;
    std::optional<eval::TargetState> state;
    eval::TargetState saved;  ///< persisted() of what was last queued for the store
    bool last_unknown = false;
    probe::ProbeResult last;
    TargetStats stats;
};

/// What a new config changed in the table.
struct TableDiff {
    std::vector<std::size_t> added;     ///< slots of targets new in this config
    std::vector<std::size_t> changed;   ///< slots kept whose spec changed
    std::vector<std::string> removed;   ///< keys of targets no longer configured (parked)
    std::vector<std::size_t> restored;  ///< added slots whose state came back from the park
    bool operator==(TableDiff const&) const = default;
};

/// The daemon's targets by slot: a target keeps its slot (and its state) across reloads for
/// as long as its key stays configured; a freed slot is reused with a new generation, so a
/// late result for the old target is recognised and dropped. Pure bookkeeping, no I/O.
///
/// A removed target's state is parked for a grace period before it is forgotten: a list
/// rewritten in place (truncated, then written line by line, as generators do) reloads as a
/// few targets and then as all of them again, and the targets that come back within the
/// grace keep their state, so they neither announce a first-seen failure again nor lose a
/// pending recovery.
class TargetTable {
  public:
    explicit TargetTable(std::chrono::milliseconds grace = std::chrono::minutes(10))
        : grace_(grace) {}

    /// Replaces the configured set at `now`; keeps the state of targets that remain (by key)
    /// and restores the parked state of targets that come back.
    TableDiff apply(std::vector<config::TargetSpec> specs, util::TimePoint now);
    /// Keys whose parked state outlived the grace at `now`: forgotten for good (the caller
    /// drops them from the store).
    std::vector<std::string> expire(util::TimePoint now);
    /// Parks the state of a target that is not configured (found in the store at start).
    void park(std::string key, eval::TargetState state, util::TimePoint now);
    std::chrono::milliseconds grace() const { return grace_; }

    TargetSlot& operator[](std::size_t slot) { return slots_[slot]; }
    TargetSlot const& operator[](std::size_t slot) const { return slots_[slot]; }
    std::size_t size() const { return slots_.size(); }
    /// Bumped each time a slot is freed; a result carries the generation it started under.
    std::uint32_t generation(std::size_t slot) const { return generations_[slot]; }
    /// Whether a result of `slot` started under `generation` still belongs to its target.
    bool current(std::size_t slot, std::uint32_t generation) const {
        return slot < slots_.size() && generations_[slot] == generation && slots_[slot].active;
    }
    /// The slot of the target with this key.
    std::optional<std::size_t> find(std::string const& key) const;
    /// Active slots sorted by group, then name (the order of the status page and API).
    std::vector<std::size_t> const& view_order() const { return view_order_; }

  private:
    std::vector<TargetSlot> slots_;
    std::vector<std::uint32_t> generations_;
    std::unordered_map<std::string, std::size_t> by_key_;
    std::vector<std::size_t> free_;
    std::vector<std::size_t> view_order_;
    struct Parked {
        eval::TargetState state;
        eval::TargetState saved;
        util::TimePoint until{};
    };
    std::unordered_map<std::string, Parked> parked_;
    std::chrono::milliseconds grace_;
};

}  // namespace portwatch::driver
