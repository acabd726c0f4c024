#include "driver/stats.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace portwatch::driver {

std::int64_t minute_of(util::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count();
}

std::optional<store::MinuteRollup> TargetStats::record(std::string const& key, std::int64_t minute,
                                                       bool up, std::string const& reason,
                                                       std::chrono::microseconds latency) {
    auto const seconds = std::chrono::duration<double>(latency).count();
    view_.checks_total += 1;
    add_to_histogram(view_.duration_counts, view_.duration_sum, seconds);
    std::optional<store::MinuteRollup> finished;
    if (minute != minute_) {
        if (rollup_.checks > 0) {
            finished = std::move(rollup_);
        }
        minute_ = minute;
        rollup_ = store::MinuteRollup{.key = key, .minute = minute};
    }
    rollup_.checks += 1;
    if (up) {
        double const ms = seconds * 1000.0;
        rollup_.latency_min_ms =
            rollup_.latency_count == 0 ? ms : std::min(rollup_.latency_min_ms, ms);
        rollup_.latency_max_ms = std::max(rollup_.latency_max_ms, ms);
        rollup_.latency_sum_ms += ms;
        rollup_.latency_count += 1;
    } else {
        rollup_.failures += 1;
        view_.failures_by_reason[reason] += 1;
    }
    return finished;
}

std::optional<store::MinuteRollup> TargetStats::take_rollup(std::int64_t minute, bool all) {
    if (rollup_.checks == 0 || (!all && minute_ >= minute)) {
        return std::nullopt;
    }
    auto out = rollup_;
    rollup_ = store::MinuteRollup{.key = out.key, .minute = minute_};
    return out;
}

void LatenessStats::record(std::chrono::steady_clock::duration lateness) {
    auto const seconds = std::chrono::duration<double>(lateness).count();
    add_to_histogram(counts_, sum_, std::max(0.0, seconds));
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(lateness).count();
    per_ms_[static_cast<std::size_t>(std::clamp<long long>(ms, 0, slots))] += 1;
}

std::string LatenessStats::take_minute_summary() {
    std::uint64_t total = 0;
    long long max = 0;
    for (std::size_t i = 0; i < per_ms_.size(); ++i) {
        total += per_ms_[i];
        if (per_ms_[i] > 0) {
            max = static_cast<long long>(i);
        }
    }
    auto pct = [&](double q) -> long long {
        auto const want = static_cast<std::uint64_t>(q * static_cast<double>(total));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < per_ms_.size(); ++i) {
            seen += per_ms_[i];
            if (seen > want) {
                return static_cast<long long>(i);
            }
        }
        return static_cast<long long>(slots);
    };
    std::string out;
    if (total > 0) {
        out = fmt::format("{} checks in the last minute; lateness p50 {} ms, p99 {} ms, max {} ms",
                          total, pct(0.5), pct(0.99), max);
    }
    std::fill(per_ms_.begin(), per_ms_.end(), 0);
    return out;
}

}  // namespace portwatch::driver
