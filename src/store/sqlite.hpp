#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/batch.hpp"
#include "store/history.hpp"
#include "store/store.hpp"
#include "util/file_lock.hpp"

struct sqlite3;

namespace portwatch::store {

/// History reads on a read-only connection of their own (sqlite_history.cpp); calls are
/// serialised on it. another() opens a second connection, for a reader on another thread.
class SqliteHistory final : public HistoryReader {
  public:
    explicit SqliteHistory(std::filesystem::path path) : path_(std::move(path)) {}
    ~SqliteHistory() override;
    SqliteHistory(SqliteHistory const&) = delete;
    SqliteHistory& operator=(SqliteHistory const&) = delete;

    util::Result<std::optional<double>> uptime(std::string const& target_key, util::TimePoint from,
                                               util::TimePoint to) override;
    util::Result<std::vector<Rollup>> rollups(std::string const& target_key, util::TimePoint from,
                                              util::TimePoint to,
                                              std::chrono::seconds bucket) override;
    util::Result<std::vector<Transition>> transitions(std::string const& target_key,
                                                      std::size_t limit) override;
    /// One query for all keys.
    util::Result<UptimeByKey> uptime_many(std::vector<std::string> const& keys,
                                          util::TimePoint from, util::TimePoint to) override;
    /// One query for all keys.
    util::Result<RollupsByKey> rollups_many(std::vector<std::string> const& keys,
                                            util::TimePoint from, util::TimePoint to,
                                            std::chrono::seconds bucket) override;
    std::unique_ptr<HistoryReader> another() override;

  private:
    util::Result<sqlite3*> reader();

    std::filesystem::path path_;
    std::mutex mutex_;
    sqlite3* db_ = nullptr;
};

/// The daemon's store: target state, the outbox, transitions and rollups in one SQLite file.
/// Rollups come in three tiers, each row one target's checks in one minute, hour or UTC day,
/// all three written with every minute's rollup; minute rows are kept `minute_rows_kept`,
/// hour rows `hour_rows_kept`, day rows until the retention (prune's `before`). Uptime over a
/// window is summed from the coarsest rows that fit (days, then hours, then minutes at the
/// edges). Sizes: docs/api.md, "History storage".
/// The file is (WAL, one writer, schema version in PRAGMA user_version with migrations).
/// The writing methods belong to one thread; the HistoryReader methods may be called from any
/// other thread at the same time (they use their own read-only connection).
class SqliteStore final : public Store, public HistoryReader {
  public:
    /// Opens (creating it and its schema when missing) and migrates the database, after
    /// taking the one-instance lock when the options ask for it.
    static util::Result<std::unique_ptr<SqliteStore>> open(std::filesystem::path const& path,
                                                           OpenOptions const& options = {});
    ~SqliteStore() override;
    SqliteStore(SqliteStore const&) = delete;
    SqliteStore& operator=(SqliteStore const&) = delete;

    /// Target states (in first-insert order) and the outbox (in event order).
    util::Result<Loaded> load() override;
    /// Commits a batch in one transaction.
    util::Result<void> commit(Batch const& batch) override;
    /// Replaces every target state and the whole outbox (the `check` driver's contract).
    util::Result<void> commit(State const& state) override;
    /// One transaction: the claimable entries, then their lease.
    util::Result<std::vector<OutboxEntry>> claim(std::string const& owner, std::size_t limit,
                                                 std::chrono::milliseconds lease,
                                                 util::TimePoint now) override;
    /// Deletes rollups and transitions older than `before` (every tier).
    util::Result<void> prune(util::TimePoint before) override;
    /// Deletes, at most `max_rows` rows in one transaction: transitions and day rows older
    /// than `before`, hour rows older than now - hour_rows_kept, minute rows older than
    /// now - minute_rows_kept (each tier: never later than `before`).
    util::Result<bool> compact(util::TimePoint now, util::TimePoint before,
                               std::size_t max_rows) override;
    HistoryReader* history() override { return &history_; }
    /// Locks PATH.lock (the file `portwatch run` always locked).
    util::Result<void> lock(std::chrono::milliseconds wait) override;
    std::string describe() const override { return "sqlite:" + path_.string(); }

    /// commit(batch), under the name the daemon used before the Store contract had batches.
    util::Result<void> apply(Batch const& batch);

    /// HistoryReader: history()'s, on its own connection.
    util::Result<std::optional<double>> uptime(std::string const& target_key, util::TimePoint from,
                                               util::TimePoint to) override {
        return history_.uptime(target_key, from, to);
    }
    util::Result<std::vector<Rollup>> rollups(std::string const& target_key, util::TimePoint from,
                                              util::TimePoint to,
                                              std::chrono::seconds bucket) override {
        return history_.rollups(target_key, from, to, bucket);
    }
    util::Result<std::vector<Transition>> transitions(std::string const& target_key,
                                                      std::size_t limit) override {
        return history_.transitions(target_key, limit);
    }
    util::Result<UptimeByKey> uptime_many(std::vector<std::string> const& keys,
                                          util::TimePoint from, util::TimePoint to) override {
        return history_.uptime_many(keys, from, to);
    }
    util::Result<RollupsByKey> rollups_many(std::vector<std::string> const& keys,
                                            util::TimePoint from, util::TimePoint to,
                                            std::chrono::seconds bucket) override {
        return history_.rollups_many(keys, from, to, bucket);
    }
    std::unique_ptr<HistoryReader> another() override { return history_.another(); }

    /// The schema version this build writes.
    static constexpr int schema_version = 4;
    /// How long rows of the finer tiers are kept (compact()).
    static constexpr std::chrono::hours minute_rows_kept{6};
    static constexpr std::chrono::hours hour_rows_kept{14 * 24};

  private:
    explicit SqliteStore(std::filesystem::path path) : path_(path), history_(std::move(path)) {}
    /// commit(batch) without the retry on a full disk (sqlite.cpp).
    util::Result<void> commit_batch(Batch const& batch);
    /// Copies the WAL into the database and truncates it (sqlite_wal.cpp).
    util::Result<void> checkpoint();
    /// Upserts minute rollups into the three tiers (sqlite_rollups.cpp).
    util::Result<void> write_rollups(std::vector<MinuteRollup> const& rollups);
    /// The series id of a key, created when new (sqlite_rollups.cpp).
    util::Result<std::int64_t> series_id(std::string const& key);

    std::filesystem::path path_;
    std::optional<util::FileLock> lock_;
    sqlite3* db_ = nullptr;
    /// Series ids by key, of the writer's connection.
    std::unordered_map<std::string, std::int64_t> series_ids_;
    SqliteHistory history_;
};

}  // namespace portwatch::store
