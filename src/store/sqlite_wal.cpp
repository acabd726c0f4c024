// The SQLite store on a full disk (issue 17 item 10). On a small filesystem the WAL grew until
// every commit failed for ever: it is only reset by a checkpoint, SQLite's automatic one
// waited for 1,000 pages (4 MiB), and once the disk is full a checkpoint cannot run either
// (it grows the database file). So the store checkpoints every 100 pages (sqlite.cpp's
// pragmas; the WAL is also cut back to 1 MiB), and a commit that still fails with
// SQLITE_FULL (the disk filled by something else, then space returned) checkpoints, truncates
// the WAL and tries once more.
#include <sqlite3.h>

#include "store/sqlite.hpp"
#include "store/sqlite_statement.hpp"

namespace portwatch::store {

util::Result<void> SqliteStore::commit(Batch const& batch) {
    auto r = commit_batch(batch);
    if (r || r.error().code != std::errc::no_space_on_device) {
        return r;
    }
    if (auto c = checkpoint(); !c) {
        return r;  // no room made: the first error is the one to report
    }
    return commit_batch(batch);
}

util::Result<void> SqliteStore::checkpoint() {
    int wal_pages = 0;
    int copied = 0;
    if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &wal_pages, &copied) !=
        SQLITE_OK) {
        return sqlite_detail::db_error(db_, "checkpoint");
    }
    return {};
}

}  // namespace portwatch::store
