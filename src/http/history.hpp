#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/snapshot.hpp"
#include "store/history.hpp"
#include "util/time.hpp"

namespace portwatch::http {

/// A named window of the uptime figures (API, badges).
struct UptimeWindow {
    std::string_view name;
    std::chrono::seconds length;
};

inline constexpr std::array<UptimeWindow, 4> uptime_windows = {{
    {"1h", std::chrono::hours(1)},
    {"24h", std::chrono::hours(24)},
    {"7d", std::chrono::hours(24 * 7)},
    {"30d", std::chrono::hours(24 * 30)},
}};

/// The window named `name` ("1h", "24h", "7d", "30d"), or nullptr.
UptimeWindow const* find_uptime_window(std::string_view name);

/// The key the store files a target's history under: "HOST:PORT" as written.
std::string history_key(http::TargetView const& t);

/// A HistoryReader that remembers uptime answers (by target and window length) and rollup
/// answers (by target and exact range) for `ttl`: uptime figures move slowly, and one page
/// of 100 targets would otherwise be 400 queries. Transitions pass through. Not thread-safe:
/// one per server thread.
class CachedHistory : public store::HistoryReader {
  public:
    CachedHistory(store::HistoryReader& inner, std::function<util::TimePoint()> now,
                  std::chrono::seconds ttl, std::size_t max_entries = 200'000);

    util::Result<std::optional<double>> uptime(std::string const& key, util::TimePoint from,
                                               util::TimePoint to) override;
    util::Result<std::vector<store::Rollup>> rollups(std::string const& key, util::TimePoint from,
                                                     util::TimePoint to,
                                                     std::chrono::seconds bucket) override;
    util::Result<std::vector<store::Transition>> transitions(std::string const& key,
                                                             std::size_t limit) override;

  private:
    struct Entry {
        util::TimePoint at{};
        std::optional<double> uptime;
        std::vector<store::Rollup> rollups;
    };
    Entry* find(std::string const& id, util::TimePoint now);
    std::function<util::TimePoint()> now_;
    void put(std::string id, Entry entry);

    store::HistoryReader& inner_;
    std::chrono::seconds ttl_;
    std::size_t max_entries_;
    std::unordered_map<std::string, Entry> entries_;
};

/// What the API says about one target's past, read from a HistoryReader.
struct TargetHistory {
    bool available = false;  ///< false: no history store (or it failed; see error)
    std::string error;
    std::array<std::optional<double>, uptime_windows.size()> uptime{};  ///< fraction 0..1
    std::vector<store::Transition> transitions;                         ///< newest first
};

/// What the status page draws for one target.
struct StatusHistory {
    std::vector<std::optional<double>> days;        ///< uptime fraction per day, oldest first
    std::vector<std::optional<double>> latency_ms;  ///< average latency per hour, oldest first
};

inline constexpr std::size_t status_days = 90;
inline constexpr std::size_t status_hours = 24;

/// Reads uptime over every window ending at `now` and the last `transitions` transitions.
/// `reader` may be null (no history): the result is then not available.
TargetHistory fetch_target_history(store::HistoryReader* reader, std::string const& key,
                                   util::TimePoint now, std::size_t transitions);

/// Reads the status page's 90 daily uptime bars and 24 hourly latency points ending at
/// `now` (UTC day and hour boundaries). Empty vectors when `reader` is null.
StatusHistory fetch_status_history(store::HistoryReader* reader, std::string const& key,
                                   util::TimePoint now);

/// The history of every target of one snapshot, read at once (HistoryWorker).
struct HistorySummary {
    util::TimePoint at{};                                   ///< the `now` it was read for
    std::size_t targets = 0;                                ///< of the snapshot it was read for
    std::unordered_map<std::string, StatusHistory> status;  ///< by history_key()
    /// Uptime per uptime_windows entry, by history_key().
    std::unordered_map<std::string, std::array<std::optional<double>, uptime_windows.size()>>
        uptime;
    std::string error;  ///< a failed read: the summary is empty
};

/// Reads the status page's history of every target with a few queries for all of them
/// (HistoryReader::rollups_many/uptime_many), over the reader's own connection
/// (HistoryReader::another()), pure but for the reader.
HistorySummary read_history_summary(store::HistoryReader& reader, http::Snapshot const& snap,
                                    util::TimePoint now);

/// Keeps history reads off the thread that serves requests: a thread of its own reads a
/// HistorySummary of every target when asked and the last one is older than `ttl` (or was
/// read for another target count); latest() never waits for it. Until the first summary is
/// read, a request sees none (and the status page shows no bars yet).
class HistoryWorker {
  public:
    HistoryWorker(store::HistoryReader& reader, std::function<util::TimePoint()> now,
                  std::chrono::seconds ttl);
    /// Stops the thread (after the read it is in, if any).
    ~HistoryWorker();
    HistoryWorker(HistoryWorker const&) = delete;
    HistoryWorker& operator=(HistoryWorker const&) = delete;

    /// The latest summary (null before the first), asking for a new one for `snap` when it
    /// is stale. Never blocks on a read.
    std::shared_ptr<HistorySummary const> latest(SnapshotPtr const& snap);

  private:
    void loop();

    /// A reader of its own when the store can make one, else the shared one.
    std::unique_ptr<store::HistoryReader> own_;
    store::HistoryReader& reader_;
    std::function<util::TimePoint()> now_;
    std::chrono::seconds ttl_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::shared_ptr<HistorySummary const> latest_;
    SnapshotPtr wanted_;  ///< a read is asked for this snapshot
    bool reading_ = false;
    bool stop_ = false;
    std::thread thread_;  // last: starts after the members it uses
};

/// Spreads rollups over `count` buckets of `bucket` length starting at `from` (pure).
/// `value` maps a rollup to its figure; buckets without a rollup are empty.
template <class F>
std::vector<std::optional<double>> spread_rollups(std::vector<store::Rollup> const& rollups,
                                                  util::TimePoint from, std::chrono::seconds bucket,
                                                  std::size_t count, F value) {
    std::vector<std::optional<double>> out(count);
    for (auto const& r : rollups) {
        if (r.start < from || r.checks == 0)
            continue;
        auto const index = static_cast<std::size_t>((r.start - from) / bucket);
        if (index < count)
            out[index] = value(r);
    }
    return out;
}

}  // namespace portwatch::http
