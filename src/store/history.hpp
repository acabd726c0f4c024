#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "eval/event.hpp"
#include "util/result.hpp"
#include "util/time.hpp"

namespace portwatch::store {

/// One per-minute (or coarser) rollup of one target's checks.
struct Rollup {
    util::TimePoint start{};
    std::uint64_t checks = 0;
    std::uint64_t failures = 0;
    double latency_min_ms = 0;
    double latency_avg_ms = 0;
    double latency_max_ms = 0;
};

struct Transition {
    std::string target_key;
    eval::Status from = eval::Status::unknown;
    eval::Status to = eval::Status::unknown;
    util::TimePoint time{};
    std::string reason;
};

using UptimeByKey = std::unordered_map<std::string, std::optional<double>>;
using RollupsByKey = std::unordered_map<std::string, std::vector<Rollup>>;

/// Read-only queries over history, for the HTTP layer. Implementations must be safe to call
/// from a thread other than the probe loop's (e.g. their own read-only connection).
class HistoryReader {
  public:
    virtual ~HistoryReader() = default;
    /// Fraction of successful checks in [from, to); empty when there were no checks.
    virtual util::Result<std::optional<double>> uptime(std::string const& target_key,
                                                       util::TimePoint from,
                                                       util::TimePoint to) = 0;
    /// Rollups in [from, to), merged into buckets of `bucket` length (e.g. 1 day).
    virtual util::Result<std::vector<Rollup>> rollups(std::string const& target_key,
                                                      util::TimePoint from, util::TimePoint to,
                                                      std::chrono::seconds bucket) = 0;
    /// uptime() of each of `keys` (a key without checks maps to empty). The default asks
    /// uptime() per key; a store answers it with one query.
    virtual util::Result<UptimeByKey> uptime_many(std::vector<std::string> const& keys,
                                                  util::TimePoint from, util::TimePoint to);
    /// rollups() of each of `keys` (keys without rollups may be absent). The default asks
    /// rollups() per key; a store answers it with one query.
    virtual util::Result<RollupsByKey> rollups_many(std::vector<std::string> const& keys,
                                                    util::TimePoint from, util::TimePoint to,
                                                    std::chrono::seconds bucket);
    /// A reader of the same history that shares nothing with this one (its own connection),
    /// for a thread of its own; null when this one is all there is (the default).
    virtual std::unique_ptr<HistoryReader> another() { return nullptr; }
    /// Newest first; all targets when target_key is empty.
    virtual util::Result<std::vector<Transition>> transitions(std::string const& target_key,
                                                              std::size_t limit) = 0;
};

inline util::Result<UptimeByKey> HistoryReader::uptime_many(std::vector<std::string> const& keys,
                                                            util::TimePoint from,
                                                            util::TimePoint to) {
    UptimeByKey out;
    for (auto const& key : keys) {
        auto r = uptime(key, from, to);
        if (!r) {
            return r.error();
        }
        out.insert_or_assign(key, *r);
    }
    return out;
}

inline util::Result<RollupsByKey> HistoryReader::rollups_many(std::vector<std::string> const& keys,
                                                              util::TimePoint from,
                                                              util::TimePoint to,
                                                              std::chrono::seconds bucket) {
    RollupsByKey out;
    for (auto const& key : keys) {
        auto r = rollups(key, from, to, bucket);
        if (!r) {
            return r.error();
        }
        out.insert_or_assign(key, std::move(*r));
    }
    return out;
}

}  // namespace portwatch::store
