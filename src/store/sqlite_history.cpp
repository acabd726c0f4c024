// The SQLite store's history reads (HistoryReader), on their own read-only connection.
#include "store/sqlite.hpp"

#include <algorithm>

#include "store/sqlite_statement.hpp"

namespace portwatch::store {

using namespace sqlite_detail;

util::Result<sqlite3*> SqliteStore::reader() {
    if (read_db_ == nullptr) {
        if (sqlite3_open_v2(path_.c_str(), &read_db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK) {
            auto err = db_error(read_db_, "open for reading");
            sqlite3_close_v2(read_db_);
            read_db_ = nullptr;
            return err;
        }
        sqlite3_busy_timeout(read_db_, 2000);
    }
    return read_db_;
}

util::Result<std::optional<double>> SqliteStore::uptime(std::string const& target_key,
                                                        util::TimePoint from, util::TimePoint to) {
    std::lock_guard lock(read_mutex_);
    auto db = reader();
    if (!db) {
        return db.error();
    }
    Stmt st(*db,
            "SELECT sum(checks), sum(failures) FROM rollups WHERE key = ?1 AND minute >= ?2"
            " AND minute < ?3");
    st.bind(1, target_key).bind(2, to_minute(from)).bind(3, to_minute(to));
    if (!st.ok() || st.step() != SQLITE_ROW) {
        return db_error(*db, "uptime");
    }
    if (st.null(0) || st.integer(0) == 0) {
        return std::optional<double>();
    }
    auto const checks = static_cast<double>(st.integer(0));
    return std::optional<double>((checks - static_cast<double>(st.integer(1))) / checks);
}

util::Result<std::vector<Rollup>> SqliteStore::rollups(std::string const& target_key,
                                                       util::TimePoint from, util::TimePoint to,
                                                       std::chrono::seconds bucket) {
    std::lock_guard lock(read_mutex_);
    auto db = reader();
    if (!db) {
        return db.error();
    }
    std::int64_t const bucket_min = std::max<std::int64_t>(1, bucket.count() / 60);
    Stmt st(*db,
            "SELECT (minute / ?4) * ?4 AS b, sum(checks), sum(failures), sum(lat_count),"
            " min(CASE WHEN lat_count > 0 THEN lat_min END), sum(lat_sum), max(lat_max)"
            " FROM rollups WHERE key = ?1 AND minute >= ?2 AND minute < ?3 GROUP BY b ORDER BY b");
    st.bind(1, target_key).bind(2, to_minute(from)).bind(3, to_minute(to)).bind(4, bucket_min);
    if (!st.ok()) {
        return db_error(*db, "rollups");
    }
    std::vector<Rollup> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        auto const lat_count = st.integer(3);
        out.push_back(Rollup{
            .start = util::TimePoint(duration_cast<util::Clock::duration>(minutes(st.integer(0)))),
            .checks = static_cast<std::uint64_t>(st.integer(1)),
            .failures = static_cast<std::uint64_t>(st.integer(2)),
            .latency_min_ms = lat_count > 0 ? st.real(4) : 0,
            .latency_avg_ms = lat_count > 0 ? st.real(5) / static_cast<double>(lat_count) : 0,
            .latency_max_ms = lat_count > 0 ? st.real(6) : 0,
        });
    }
    if (rc != SQLITE_DONE) {
        return db_error(*db, "rollups");
    }
    return out;
}

util::Result<std::vector<Transition>> SqliteStore::transitions(std::string const& target_key,
                                                               std::size_t limit) {
    std::lock_guard lock(read_mutex_);
    auto db = reader();
    if (!db) {
        return db.error();
    }
    Stmt st(*db,
            "SELECT key, from_status, to_status, time, reason FROM transitions"
            " WHERE ?1 = '' OR key = ?1 ORDER BY time DESC, id DESC LIMIT ?2");
    st.bind(1, target_key)
        .bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1 << 30)));
    if (!st.ok()) {
        return db_error(*db, "transitions");
    }
    std::vector<Transition> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.push_back(Transition{.target_key = st.text(0),
                                 .from = status_from(st.text(1)),
                                 .to = status_from(st.text(2)),
                                 .time = from_us(st.integer(3)),
                                 .reason = st.text(4)});
    }
    if (rc != SQLITE_DONE) {
        return db_error(*db, "transitions");
    }
    return out;
}

}  // namespace portwatch::store
