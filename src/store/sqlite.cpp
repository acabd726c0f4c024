#include "store/sqlite.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "store/error.hpp"
#include "store/event_extras.hpp"
#include "store/instance_lock.hpp"
#include "store/sqlite_statement.hpp"

namespace portwatch::store {

namespace fs = std::filesystem;
using namespace sqlite_detail;

namespace {

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
    // 2: an entry per (event, destination), ordered per (key, destination), with a lease
    // for the claim of a delivery.
    R"(
CREATE TABLE outbox_v2(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, destination TEXT NOT NULL,
    key TEXT NOT NULL, kind TEXT NOT NULL, reminder INTEGER NOT NULL, host TEXT NOT NULL,
    port INTEGER NOT NULL, description TEXT NOT NULL, reason TEXT NOT NULL,
    detail TEXT NOT NULL, time INTEGER NOT NULL, message TEXT NOT NULL,
    attempts INTEGER NOT NULL, next_attempt INTEGER NOT NULL, last_error TEXT NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '', lease_until INTEGER NOT NULL DEFAULT 0,
    UNIQUE(id, destination));
INSERT INTO outbox_v2(seq, id, destination, key, kind, reminder, host, port, description,
    reason, detail, time, message, attempts, next_attempt, last_error)
    SELECT seq, id, '', key, kind, reminder, host, port, description, reason, detail, time,
    message, attempts, next_attempt, last_error FROM outbox ORDER BY seq;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_by_queue ON outbox(key, destination, seq);
)",
    // 3: certificate warnings in the state; the event's later fields (store/event_extras.hpp).
    R"(
ALTER TABLE target_state ADD COLUMN cert_warned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE target_state ADD COLUMN cert_warned_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN extras TEXT NOT NULL DEFAULT '';
)",
    // 4: rollups in three tiers (minute, hour, day; store/sqlite_rollups.cpp), keyed by
    // (time, series) so that rows are appended in order and pruned as a prefix; latencies in
    // whole microseconds (varints, not 8-byte reals).
    R"(
CREATE TABLE series(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE rollups_minute(
    t INTEGER NOT NULL, series INTEGER NOT NULL, checks INTEGER NOT NULL,
    failures INTEGER NOT NULL, lat_count INTEGER NOT NULL, lat_min INTEGER NOT NULL,
    lat_sum INTEGER NOT NULL, lat_max INTEGER NOT NULL, PRIMARY KEY(t, series)) WITHOUT ROWID;
CREATE TABLE rollups_hour(
    t INTEGER NOT NULL, series INTEGER NOT NULL, checks INTEGER NOT NULL,
    failures INTEGER NOT NULL, lat_count INTEGER NOT NULL, lat_min INTEGER NOT NULL,
    lat_sum INTEGER NOT NULL, lat_max INTEGER NOT NULL, PRIMARY KEY(t, series)) WITHOUT ROWID;
CREATE TABLE rollups_day(
    t INTEGER NOT NULL, series INTEGER NOT NULL, checks INTEGER NOT NULL,
    failures INTEGER NOT NULL, lat_count INTEGER NOT NULL, lat_min INTEGER NOT NULL,
    lat_sum INTEGER NOT NULL, lat_max INTEGER NOT NULL, PRIMARY KEY(t, series)) WITHOUT ROWID;
INSERT INTO series(key) SELECT DISTINCT key FROM rollups ORDER BY key;
INSERT INTO rollups_minute SELECT r.minute, s.id, r.checks, r.failures, r.lat_count,
    CAST(round(r.lat_min * 1000) AS INTEGER), CAST(round(r.lat_sum * 1000) AS INTEGER),
    CAST(round(r.lat_max * 1000) AS INTEGER) FROM rollups r JOIN series s ON s.key = r.key
    ORDER BY r.minute, s.id;
INSERT INTO rollups_hour SELECT t / 60, series, sum(checks), sum(failures), sum(lat_count),
    coalesce(min(CASE WHEN lat_count > 0 THEN lat_min END), 0), sum(lat_sum), max(lat_max)
    FROM rollups_minute GROUP BY t / 60, series ORDER BY t / 60, series;
INSERT INTO rollups_day SELECT t / 1440, series, sum(checks), sum(failures), sum(lat_count),
    coalesce(min(CASE WHEN lat_count > 0 THEN lat_min END), 0), sum(lat_sum), max(lat_max)
    FROM rollups_minute GROUP BY t / 1440, series ORDER BY t / 1440, series;
DROP TABLE rollups;
)",
};

constexpr char const* upsert_state_sql =
    "INSERT INTO target_state(key, status, since, reason, failures, successes, last_check,"
    " recent, last_alert, cert_warned, cert_warned_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT(key) DO UPDATE SET status = ?2, since = ?3,"
    " reason = ?4, failures = ?5, successes = ?6, last_check = ?7, recent = ?8, last_alert = ?9,"
    " cert_warned = ?10, cert_warned_at = ?11";

/// A put updates the retry state of an entry already stored, and releases its claim.
constexpr char const* put_outbox_sql =
    "INSERT INTO outbox(id, key, kind, reminder, host, port, description, reason, detail, time,"
    " message, attempts, next_attempt, last_error, destination, claimed_by, lease_until, extras)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
    " ON CONFLICT(id, destination) DO UPDATE SET attempts = ?12, next_attempt = ?13,"
    " last_error = ?14, claimed_by = '', lease_until = 0";

/// A claim that stands, kept across a whole-outbox rewrite.
struct Lease {
    std::string owner;
    std::int64_t until = 0;
};

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
        .bind(10, s.cert_warned)
        .bind(11, to_us(s.cert_warned_at))
        .run();
}

bool put_outbox(Stmt& st, OutboxEntry const& e, Lease const& lease = {}) {
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
        .bind(15, e.destination)
        .bind(16, lease.owner)
        .bind(17, lease.until)
        .bind(18, extras_to_text(ev))
        .run();
}

}  // namespace

util::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(fs::path const& path,
                                                             OpenOptions const& options) {
    std::unique_ptr<SqliteStore> store(new SqliteStore(path));
    if (path.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
    }
    // The lock first: a migration is a write, and one process writes at a time.
    if (options.lock_wait) {
        if (auto r = store->lock(*options.lock_wait); !r) {
            return r.error();
        }
    }
    if (sqlite3_open_v2(path.c_str(), &store->db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        return db_error(store->db_, fmt::format("cannot open {}", path.string()));
    }
    sqlite3_busy_timeout(store->db_, 5000);
    // WAL: readers (the HTTP layer) never block the writer; FULL: a commit survives power loss.
    // wal_autocheckpoint and journal_size_limit: the WAL is checkpointed every 100 pages
    // (400 KiB) and cut back to 1 MiB, so that a store on a small filesystem never fills it
    // with WAL alone (sqlite_wal.cpp).
    for (auto const* pragma :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
          "PRAGMA wal_autocheckpoint=100", "PRAGMA journal_size_limit=1048576"}) {
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
                        path.string(), version, schema_version),
            make_error_code(StoreError::newer_schema)};
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
    sqlite3_close_v2(db_);
}

util::Result<void> SqliteStore::lock(std::chrono::milliseconds wait) {
    if (lock_) {
        return {};
    }
    auto l = lock_instance(path_, wait);
    if (!l) {
        return l.error();
    }
    lock_.emplace(std::move(*l));
    return {};
}

namespace {

/// Every target state and every outbox entry replaced, in the order given; the claims of
/// entries still there stand.
template <typename States, typename Outbox>
util::Result<void> replace_all(sqlite3* db, States const& states, Outbox const& outbox,
                               bool states_too, bool outbox_too) {
    if (states_too) {
        if (auto r = exec(db, "DELETE FROM target_state", "clear target state"); !r) {
            return r;
        }
        Stmt st(db, upsert_state_sql);
        for (auto const& [key, s] : states) {
            if (!st.ok() || !put_state(st, key, s)) {
                return db_error(db, "save target state");
            }
        }
    }
    if (outbox_too) {
        std::map<OutboxId, Lease> leases;
        Stmt q(db,
               "SELECT id, destination, claimed_by, lease_until FROM outbox"
               " WHERE claimed_by != ''");
        while (q.ok() && q.step() == SQLITE_ROW) {
            leases.emplace(OutboxId{q.text(0), q.text(1)}, Lease{q.text(2), q.integer(3)});
        }
        if (auto r = exec(db, "DELETE FROM outbox", "clear outbox"); !r) {
            return r;
        }
        Stmt ob(db, put_outbox_sql);
        for (auto const& e : outbox) {
            auto const it = leases.find(e.id());
            if (!ob.ok() || !put_outbox(ob, e, it != leases.end() ? it->second : Lease{})) {
                return db_error(db, "save outbox");
            }
        }
    }
    return {};
}

}  // namespace

util::Result<Loaded> SqliteStore::load() {
    Loaded out;
    Stmt st(db_,
            "SELECT key, status, since, reason, failures, successes, last_check, recent,"
            " last_alert, cert_warned, cert_warned_at FROM target_state ORDER BY rowid");
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
                            .last_alert = from_us(st.integer(8)),
                            .cert_warned = st.integer(9),
                            .cert_warned_at = from_us(st.integer(10))};
        out.state.targets.emplace_back(st.text(0), std::move(s));
    }
    Stmt ob(db_, fmt::format("SELECT {} FROM outbox ORDER BY seq", outbox_columns).c_str());
    if (!ob.ok()) {
        return db_error(db_, "load outbox");
    }
    while (ob.step() == SQLITE_ROW) {
        out.state.outbox.push_back(outbox_row(ob));
    }
    return out;
}

util::Result<void> SqliteStore::commit(State const& state) {
    Transaction tx(db_);
    if (!tx.ok()) {
        return db_error(db_, "begin");
    }
    if (auto r = replace_all(db_, state.targets, state.outbox, true, true); !r) {
        return r;
    }
    return tx.commit();
}

util::Result<void> SqliteStore::apply(Batch const& batch) {
    return commit(batch);
}

util::Result<void> SqliteStore::commit_batch(Batch const& batch) {
    if (batch.empty()) {
        return {};
    }
    Transaction tx(db_);
    if (!tx.ok()) {
        return db_error(db_, "begin");
    }
    if (auto r = replace_all(db_, batch.states, batch.outbox_put, batch.complete_states,
                             batch.complete_outbox);
        !r) {
        return r;
    }
    if (!batch.complete_states && !batch.states.empty()) {
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
    if (!batch.complete_outbox && !batch.outbox_put.empty()) {
        Stmt st(db_, put_outbox_sql);
        for (auto const& e : batch.outbox_put) {
            if (!put_outbox(st, e)) {
                return db_error(db_, "save outbox");
            }
        }
    }
    if (!batch.outbox_delete.empty()) {
        Stmt st(db_, "DELETE FROM outbox WHERE id = ?1 AND destination = ?2");
        for (auto const& id : batch.outbox_delete) {
            if (!st.bind(1, id.event_id).bind(2, id.destination).run()) {
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
        if (auto r = write_rollups(batch.rollups); !r) {
            series_ids_.clear();  // ids of this transaction are rolled back with it
            return r;
        }
    }
    return tx.commit();
}

}  // namespace portwatch::store
