#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/batch.hpp"
#include "store/history.hpp"
#include "store/store.hpp"
#include "util/file_lock.hpp"

struct sqlite3;

namespace portwatch::store {

/// The daemon's store: target state, the outbox, transitions and per-minute rollups in one
/// SQLite file (WAL, one writer, schema version in PRAGMA user_version with migrations).
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
    /// Deletes rollups and transitions older than `before`.
    util::Result<void> prune(util::TimePoint before) override;
    HistoryReader* history() override { return this; }
    /// Locks PATH.lock (the file `portwatch run` always locked).
    util::Result<void> lock(std::chrono::milliseconds wait) override;
    std::string describe() const override { return "sqlite:" + path_.string(); }

    /// commit(batch), under the name the daemon used before the Store contract had batches.
    util::Result<void> apply(Batch const& batch);

    util::Result<std::optional<double>> uptime(std::string const& target_key, util::TimePoint from,
                                               util::TimePoint to) override;
    util::Result<std::vector<Rollup>> rollups(std::string const& target_key, util::TimePoint from,
                                              util::TimePoint to,
                                              std::chrono::seconds bucket) override;
    util::Result<std::vector<Transition>> transitions(std::string const& target_key,
                                                      std::size_t limit) override;

    /// The schema version this build writes.
    static constexpr int schema_version = 3;

  private:
    explicit SqliteStore(std::filesystem::path path) : path_(std::move(path)) {}
    util::Result<sqlite3*> reader();
    /// commit(batch) without the retry on a full disk (sqlite.cpp).
    util::Result<void> commit_batch(Batch const& batch);
    /// Copies the WAL into the database and truncates it (sqlite_wal.cpp).
    util::Result<void> checkpoint();

    std::filesystem::path path_;
    std::optional<util::FileLock> lock_;
    sqlite3* db_ = nullptr;
    std::mutex read_mutex_;
    sqlite3* read_db_ = nullptr;
};

}  // namespace portwatch::store
