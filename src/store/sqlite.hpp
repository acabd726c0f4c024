#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/history.hpp"
#include "store/store.hpp"

struct sqlite3;

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

/// What the daemon's writer thread commits in one transaction: durable before visible, so a
/// transition and its outbox entry land together or not at all.
struct Batch {
    std::vector<std::pair<std::string, eval::TargetState>> states;  ///< upserts by key
    std::vector<std::string> removed;                               ///< keys dropped
    std::vector<OutboxEntry> outbox_put;     ///< new entries, or updated attempts (by id)
    std::vector<std::string> outbox_delete;  ///< delivered or expired entry ids
    std::vector<Transition> transitions;
    std::vector<MinuteRollup> rollups;  ///< merged into existing rows of the same minute

    bool empty() const {
        return states.empty() && removed.empty() && outbox_put.empty() && outbox_delete.empty() &&
               transitions.empty() && rollups.empty();
    }
};

/// The daemon's store: target state, the outbox, transitions and per-minute rollups in one
/// SQLite file (WAL, one writer, schema version in PRAGMA user_version with migrations).
/// The writing methods belong to one thread; the HistoryReader methods may be called from any
/// other thread at the same time (they use their own read-only connection).
class SqliteStore final : public Store, public HistoryReader {
  public:
    /// Opens (creating it and its schema when missing) and migrates the database.
    static util::Result<std::unique_ptr<SqliteStore>> open(std::filesystem::path const& path);
    ~SqliteStore() override;
    SqliteStore(SqliteStore const&) = delete;
    SqliteStore& operator=(SqliteStore const&) = delete;

    /// Target states (in first-insert order) and the outbox (in event order).
    util::Result<Loaded> load() override;
    /// Replaces every target state and the whole outbox (the `check` driver's contract).
    util::Result<void> commit(State const& state) override;
    std::string describe() const override { return "sqlite:" + path_.string(); }

    /// Commits a batch in one transaction.
    util::Result<void> apply(Batch const& batch);
    /// Deletes rollups and transitions older than `before`.
    util::Result<void> prune(util::TimePoint before);

    util::Result<std::optional<double>> uptime(std::string const& target_key, util::TimePoint from,
                                               util::TimePoint to) override;
    util::Result<std::vector<Rollup>> rollups(std::string const& target_key, util::TimePoint from,
                                              util::TimePoint to,
                                              std::chrono::seconds bucket) override;
    util::Result<std::vector<Transition>> transitions(std::string const& target_key,
                                                      std::size_t limit) override;

    /// The schema version this build writes.
    static constexpr int schema_version = 1;

  private:
    explicit SqliteStore(std::filesystem::path path) : path_(std::move(path)) {}
    util::Result<sqlite3*> reader();

    std::filesystem::path path_;
    sqlite3* db_ = nullptr;
    std::mutex read_mutex_;
    sqlite3* read_db_ = nullptr;
};

}  // namespace portwatch::store
