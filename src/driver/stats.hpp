#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http/snapshot.hpp"
#include "store/sqlite.hpp"

namespace portwatch::driver {

/// Adds one observation of `seconds` to a cumulative histogram over probe_duration_buckets
/// (the last slot is +Inf) and to its sum.
template <std::size_t N>
void add_to_histogram(std::array<std::uint64_t, N>& counts, double& sum, double seconds) {
    static_assert(N == http::probe_duration_buckets.size() + 1);
    sum += seconds;
    for (std::size_t i = 0; i < http::probe_duration_buckets.size(); ++i) {
        if (seconds <= http::probe_duration_buckets[i]) {
            counts[i] += 1;
        }
    }
    counts[N - 1] += 1;  // +Inf
}

/// One target's running numbers: counters and histogram for /metrics, and the rollup of the
/// current minute for the store. Updating it allocates nothing on the common path.
class TargetStats {
  public:
    /// Counts one check that ended at `minute` (minutes since the epoch). Returns the rollup of
    /// the previous minute when this check starts a new one.
    std::optional<store::MinuteRollup> record(std::string const& key, std::int64_t minute, bool up,
                                              std::string const& reason,
                                              std::chrono::microseconds latency);
    /// A status change was recorded.
    void count_transition() { view_.transitions_total += 1; }
    /// The current minute's rollup when it is older than `minute` (or always, with `all`),
    /// leaving an empty one in its place.
    std::optional<store::MinuteRollup> take_rollup(std::int64_t minute, bool all);
    /// Counter, histogram and failure fields, to copy into a TargetView.
    http::TargetView const& view() const { return view_; }

  private:
    http::TargetView view_;
    std::int64_t minute_ = 0;
    store::MinuteRollup rollup_;
};

/// Scheduling lateness (actual start - planned start) of every check: a histogram for
/// /metrics, and per-millisecond counts for the one log line a minute.
class LatenessStats {
  public:
    void record(std::chrono::steady_clock::duration lateness);
    /// "N checks in the last minute; lateness p50 .. ms, p99 .. ms, max .. ms" and resets the
    /// minute's counts; empty when there were no checks.
    std::string take_minute_summary();
    std::array<std::uint64_t, http::probe_duration_buckets.size() + 1> const& counts() const {
        return counts_;
    }
    double sum() const { return sum_; }

  private:
    /// Lateness is counted in 1 ms steps up to this many ms (then overflow).
    static constexpr std::size_t slots = 10000;
    std::array<std::uint64_t, http::probe_duration_buckets.size() + 1> counts_{};
    double sum_ = 0;
    std::vector<std::uint32_t> per_ms_ = std::vector<std::uint32_t>(slots + 1, 0);
};

/// Minutes since the epoch of a wall-clock time (the rollup grid).
std::int64_t minute_of(util::TimePoint t);

}  // namespace portwatch::driver
