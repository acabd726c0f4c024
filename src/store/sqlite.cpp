#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

namespace portwatch::store {

namespace fs = std::filesystem;

namespace {

using namespace std::chrono;

std::int64_t to_us(util::TimePoint t) {
    return duration_cast<microseconds>(t.time_since_epoch()).count();
}
util::TimePoint from_us(std::int64_t us) {
    return util::TimePoint(duration_cast<util::Clock::duration>(microseconds(us)));
}
std::int64_t to_minute(util::TimePoint t) {
    return duration_cast<minutes>(t.time_since_epoch()).count() -
           (t.time_since_epoch() < util::Clock::duration::zero() ? 1 : 0);
}

util::Error db_error(sqlite3* db, std::string_view what) {
    return util::Error{fmt::format("sqlite: {}: {}", what, db ? sqlite3_errmsg(db) : "no memory")};
}

/// Each migration brings the schema from version i to i+1; user_version holds the version.
constexpr std::array<char const*, SqliteStore::schema_version> migrations = {
    R"(
CREATE TABLE target_state(
    key TEXT PRIMARY KEY, status TEXT NOT NULL, since INTEGER NOT NULL,
    reason TEXT NOT NULL, failures INTEGER NOT NULL, successes INTEGER NOT NULL,
    last_check INTEGER NOT NULL, recent INTEGER NOT NULL, last_alert INTEGER NOT NULL);
CREATE TABLE outbox(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, key TEXT NOT NULL,
    kind TEXT NOT NULL, reminder INTEGER NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL,
    description TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL, time INTEGER NOT NULL,
    message TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt INTEGER NOT NULL,
    last_error TEXT NOT NULL);
CREATE TABLE transitions(
    id INTEGER PRIMARY KEY, key TEXT NOT NULL, from_status TEXT NOT NULL,
    to_status TEXT NOT NULL, time INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE INDEX transitions_by_key ON transitions(key, time);
CREATE INDEX transitions_by_time ON transitions(time);
CREATE TABLE rollups(
    key TEXT NOT NULL, minute INTEGER NOT NULL, checks INTEGER NOT NULL,
    failures INTEGER NOT NULL, lat_count INTEGER NOT NULL, lat_min REAL NOT NULL,
    lat_sum REAL NOT NULL, lat_max REAL NOT NULL, PRIMARY KEY(key, minute)) WITHOUT ROWID;
CREATE INDEX rollups_by_minute ON rollups(minute);
)",
};

/// A prepared statement, finalized on scope exit; binds by position from 1.
class Stmt {
  public:
    Stmt(sqlite3* db, char const* sql) : db_(db) {
        rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    }
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(Stmt const&) = delete;
    Stmt& operator=(Stmt const&) = delete;

    bool ok() const { return rc_ == SQLITE_OK; }
    Stmt& bind(int i, std::string_view s) {
        sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& bind(int i, char const* s) { return bind(i, std::string_view(s)); }
    Stmt& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    Stmt& bind(int i, double v) {
        sqlite3_bind_double(stmt_, i, v);
        return *this;
    }
    /// SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return sqlite3_step(stmt_); }
    /// Runs to completion and resets for the next binding; false on error.
    bool run() {
        int const rc = sqlite3_step(stmt_);
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        return rc == SQLITE_DONE || rc == SQLITE_ROW;
    }
    std::string text(int col) const {
        auto const* p = reinterpret_cast<char const*>(sqlite3_column_text(stmt_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                 : std::string();
    }
    std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    double real(int col) const { return sqlite3_column_double(stmt_, col); }
    bool null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    int rc_ = SQLITE_OK;
};

util::Result<void> exec(sqlite3* db, char const* sql, std::string_view what) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = fmt::format("sqlite: {}: {}", what, err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        return util::Error{std::move(msg)};
    }
    return {};
}

eval::Status status_from(std::string const& s) {
    return s == "UP" ? eval::Status::up : s == "DOWN" ? eval::Status::down : eval::Status::unknown;
}

/// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed.
class Transaction {
  public:
    explicit Transaction(sqlite3* db) : db_(db) {
        ok_ = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
    ~Transaction() {
        if (ok_ && !done_) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }
    Transaction(Transaction const&) = delete;
    Transaction& operator=(Transaction const&) = delete;
    bool ok() const { return ok_; }
    util::Result<void> commit() {
        done_ = true;
        return exec(db_, "COMMIT", "commit");
    }

  private:
    sqlite3* db_;
    bool ok_ = false;
    bool done_ = false;
};

constexpr char const* upsert_state_sql =
    "INSERT INTO target_state(key, status, since, reason, failures, successes, last_check,"
    " recent, last_alert) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    " ON CONFLICT(key) DO UPDATE SET status = ?2, since = ?3,"
    " reason = ?4, failures = ?5, successes = ?6, last_check = ?7, recent = ?8, last_alert = ?9";

constexpr char const* put_outbox_sql =
    "INSERT INTO outbox(id, key, kind, reminder, host, port, description, reason, detail, time,"
    " message, attempts, next_attempt, last_error) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
    " ?10, ?11, ?12, ?13, ?14) ON CONFLICT(id) DO UPDATE SET attempts = ?12,"
    " next_attempt = ?13, last_error = ?14";

bool put_state(Stmt& st, std::string const& key, eval::TargetState const& s) {
    return st.bind(1, key)
        .bind(2, eval::status_name(s.status))
        .bind(3, to_us(s.since))
        .bind(4, s.reason)
        .bind(5, std::int64_t{s.consecutive_failures})
        .bind(6, std::int64_t{s.consecutive_successes})
        .bind(7, to_us(s.last_check))
        .bind(8, static_cast<std::int64_t>(s.recent_failures))
        .bind(9, to_us(s.last_alert))
        .run();
}

bool put_outbox(Stmt& st, OutboxEntry const& e) {
    auto const& ev = e.event;
    return st.bind(1, ev.id)
        .bind(2, ev.key)
        .bind(3, eval::event_kind_name(ev.kind))
        .bind(4, std::int64_t{ev.reminder ? 1 : 0})
        .bind(5, ev.host)
        .bind(6, std::int64_t{ev.port})
        .bind(7, ev.description)
        .bind(8, ev.reason)
        .bind(9, ev.detail)
        .bind(10, to_us(ev.time))
        .bind(11, e.message)
        .bind(12, std::int64_t{e.attempts})
        .bind(13, to_us(e.next_attempt))
        .bind(14, e.last_error)
        .run();
}

}  // namespace

util::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(fs::path const& path) {
    std::unique_ptr<SqliteStore> store(new SqliteStore(path));
    if (path.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
    }
    if (sqlite3_open_v2(path.c_str(), &store->db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        return db_error(store->db_, fmt::format("cannot open {}", path.string()));
    }
    sqlite3_busy_timeout(store->db_, 5000);
    // WAL: readers (the HTTP layer) never block the writer; FULL: a commit survives power loss.
    for (auto const* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
        if (auto r = exec(store->db_, pragma, pragma); !r) {
            return r.error();
        }
    }
    int version = 0;
    {
        Stmt st(store->db_, "PRAGMA user_version");
        if (st.ok() && st.step() == SQLITE_ROW) {
            version = static_cast<int>(st.integer(0));
        }
    }
    if (version > schema_version) {
        return util::Error{
            fmt::format("sqlite: {} has schema version {}, newer than this portwatch knows ({})",
                        path.string(), version, schema_version)};
    }
    for (; version < schema_version; ++version) {
        Transaction tx(store->db_);
        if (!tx.ok()) {
            return db_error(store->db_, "begin migration");
        }
        if (auto r = exec(store->db_, migrations[static_cast<std::size_t>(version)],
                          fmt::format("migration to schema {}", version + 1));
            !r) {
            return r.error();
        }
        auto const bump = fmt::format("PRAGMA user_version = {}", version + 1);
        if (auto r = exec(store->db_, bump.c_str(), "set schema version"); !r) {
            return r.error();
        }
        if (auto r = tx.commit(); !r) {
            return r.error();
        }
    }
    return store;
}

SqliteStore::~SqliteStore() {
    sqlite3_close_v2(read_db_);
    sqlite3_close_v2(db_);
}

util::Result<Loaded> SqliteStore::load() {
    Loaded out;
    Stmt st(db_,
            "SELECT key, status, since, reason, failures, successes, last_check, recent,"
            " last_alert FROM target_state ORDER BY rowid");
    if (!st.ok()) {
        return db_error(db_, "load target state");
    }
    while (st.step() == SQLITE_ROW) {
        eval::TargetState s{.status = status_from(st.text(1)),
                            .since = from_us(st.integer(2)),
                            .reason = st.text(3),
                            .consecutive_failures = static_cast<int>(st.integer(4)),
                            .consecutive_successes = static_cast<int>(st.integer(5)),
                            .last_check = from_us(st.integer(6)),
                            .recent_failures = static_cast<std::uint64_t>(st.integer(7)),
                            .last_alert = from_us(st.integer(8))};
        out.state.targets.emplace_back(st.text(0), std::move(s));
    }
    Stmt ob(db_,
            "SELECT id, key, kind, reminder, host, port, description, reason, detail, time,"
            " message, attempts, next_attempt, last_error FROM outbox ORDER BY seq");
    if (!ob.ok()) {
        return db_error(db_, "load outbox");
    }
    while (ob.step() == SQLITE_ROW) {
        OutboxEntry e;
        e.event = eval::Event{
            .id = ob.text(0),
            .kind = ob.text(2) == "up" ? eval::EventKind::up : eval::EventKind::down,
            .key = ob.text(1),
            .host = ob.text(4),
            .port = static_cast<std::uint16_t>(ob.integer(5)),
            .description = ob.text(6),
            .reason = ob.text(7),
            .detail = ob.text(8),
            .time = from_us(ob.integer(9)),
            .reminder = ob.integer(3) != 0,
        };
        e.message = ob.text(10);
        e.attempts = static_cast<int>(ob.integer(11));
        e.next_attempt = from_us(ob.integer(12));
        e.last_error = ob.text(13);
        out.state.outbox.push_back(std::move(e));
    }
    return out;
}

util::Result<void> SqliteStore::commit(State const& state) {
    Transaction tx(db_);
    if (!tx.ok()) {
        return db_error(db_, "begin");
    }
    if (auto r = exec(db_, "DELETE FROM target_state; DELETE FROM outbox", "clear"); !r) {
        return r;
    }
    Stmt st(db_, upsert_state_sql);
    Stmt ob(db_, put_outbox_sql);
    if (!st.ok() || !ob.ok()) {
        return db_error(db_, "prepare commit");
    }
    for (auto const& [key, s] : state.targets) {
        if (!put_state(st, key, s)) {
            return db_error(db_, "save target state");
        }
    }
    for (auto const& e : state.outbox) {
        if (!put_outbox(ob, e)) {
            return db_error(db_, "save outbox");
        }
    }
    return tx.commit();
}

util::Result<void> SqliteStore::apply(Batch const& batch) {
    if (batch.empty()) {
        return {};
    }
    Transaction tx(db_);
    if (!tx.ok()) {
        return db_error(db_, "begin");
    }
    if (!batch.states.empty()) {
        Stmt st(db_, upsert_state_sql);
        for (auto const& [key, s] : batch.states) {
            if (!put_state(st, key, s)) {
                return db_error(db_, "save target state");
            }
        }
    }
    if (!batch.removed.empty()) {
        Stmt st(db_, "DELETE FROM target_state WHERE key = ?1");
        for (auto const& key : batch.removed) {
            if (!st.bind(1, key).run()) {
                return db_error(db_, "drop target state");
            }
        }
    }
    if (!batch.outbox_put.empty()) {
        Stmt st(db_, put_outbox_sql);
        for (auto const& e : batch.outbox_put) {
            if (!put_outbox(st, e)) {
                return db_error(db_, "save outbox");
            }
        }
    }
    if (!batch.outbox_delete.empty()) {
        Stmt st(db_, "DELETE FROM outbox WHERE id = ?1");
        for (auto const& id : batch.outbox_delete) {
            if (!st.bind(1, id).run()) {
                return db_error(db_, "delete outbox entry");
            }
        }
    }
    if (!batch.transitions.empty()) {
        Stmt st(db_,
                "INSERT INTO transitions(key, from_status, to_status, time, reason)"
                " VALUES(?1, ?2, ?3, ?4, ?5)");
        for (auto const& t : batch.transitions) {
            if (!st.bind(1, t.target_key)
                     .bind(2, eval::status_name(t.from))
                     .bind(3, eval::status_name(t.to))
                     .bind(4, to_us(t.time))
                     .bind(5, t.reason)
                     .run()) {
                return db_error(db_, "save transition");
            }
        }
    }
    if (!batch.rollups.empty()) {
        Stmt st(db_,
                "INSERT INTO rollups(key, minute, checks, failures, lat_count, lat_min, lat_sum,"
                " lat_max) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(key, minute) DO"
                " UPDATE SET checks = checks + ?3, failures = failures + ?4,"
                " lat_min = CASE WHEN lat_count = 0 THEN ?6 WHEN ?5 = 0 THEN lat_min"
                " ELSE min(lat_min, ?6) END, lat_count = lat_count + ?5,"
                " lat_sum = lat_sum + ?7, lat_max = max(lat_max, ?8)");
        for (auto const& r : batch.rollups) {
            if (!st.bind(1, r.key)
                     .bind(2, r.minute)
                     .bind(3, static_cast<std::int64_t>(r.checks))
                     .bind(4, static_cast<std::int64_t>(r.failures))
                     .bind(5, static_cast<std::int64_t>(r.latency_count))
                     .bind(6, r.latency_min_ms)
                     .bind(7, r.latency_sum_ms)
                     .bind(8, r.latency_max_ms)
                     .run()) {
                return db_error(db_, "save rollup");
            }
        }
    }
    return tx.commit();
}

util::Result<void> SqliteStore::prune(util::TimePoint before) {
    Transaction tx(db_);
    if (!tx.ok()) {
        return db_error(db_, "begin");
    }
    Stmt r(db_, "DELETE FROM rollups WHERE minute < ?1");
    Stmt t(db_, "DELETE FROM transitions WHERE time < ?1");
    if (!r.bind(1, to_minute(before)).run() || !t.bind(1, to_us(before)).run()) {
        return db_error(db_, "prune history");
    }
    return tx.commit();
}

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
