#pragma once

// Internal to the SQLite store (sqlite*.cpp): statements, transactions and the time columns.
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "eval/event.hpp"
#include "store/event_extras.hpp"
#include "store/outbox_entry.hpp"
#include "util/result.hpp"
#include "util/time.hpp"

namespace portwatch::store::sqlite_detail {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::minutes;

inline std::int64_t to_us(util::TimePoint t) {
    return duration_cast<microseconds>(t.time_since_epoch()).count();
}
inline util::TimePoint from_us(std::int64_t us) {
    return util::TimePoint(duration_cast<util::Clock::duration>(microseconds(us)));
}
inline std::int64_t to_minute(util::TimePoint t) {
    return duration_cast<minutes>(t.time_since_epoch()).count() -
           (t.time_since_epoch() < util::Clock::duration::zero() ? 1 : 0);
}

/// The code of `db`'s last error that a caller acts on: a full disk or database
/// (SQLITE_FULL) is std::errc::no_space_on_device, so that the store can make room and the
/// writer retry; anything else has no code.
inline std::error_code db_error_code(sqlite3* db) {
    if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL) {
        return std::make_error_code(std::errc::no_space_on_device);
    }
    return {};
}

/// An error with SQLite's message and db_error_code().
inline util::Error db_error(sqlite3* db, std::string_view what) {
    return util::Error{fmt::format("sqlite: {}: {}", what, db ? sqlite3_errmsg(db) : "no memory"),
                       db_error_code(db)};
}

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

inline util::Result<void> exec(sqlite3* db, char const* sql, std::string_view what) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = fmt::format("sqlite: {}: {}", what, err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        return util::Error{std::move(msg), db_error_code(db)};
    }
    return {};
}

inline eval::Status status_from(std::string const& s) {
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
    /// A COMMIT that fails (SQLITE_FULL, SQLITE_BUSY) leaves the transaction open: it is then
    /// rolled back here, else every later BEGIN would fail ("within a transaction").
    util::Result<void> commit() {
        auto r = exec(db_, "COMMIT", "commit");
        done_ = static_cast<bool>(r) || sqlite3_get_autocommit(db_) != 0;
        return r;
    }

  private:
    sqlite3* db_;
    bool ok_ = false;
    bool done_ = false;
};

/// The columns outbox_row() reads, in its order.
inline constexpr char const* outbox_columns =
    "id, key, kind, reminder, host, port, description, reason, detail, time, message, attempts,"
    " next_attempt, last_error, destination, extras";
/// How many columns that is (the index of a column selected after them).
inline constexpr int outbox_column_count = 16;

/// An OutboxEntry from a row of `outbox_columns`.
inline OutboxEntry outbox_row(Stmt const& ob) {
    OutboxEntry e;
    e.event = eval::Event{
        .id = ob.text(0),
        .kind = eval::event_kind_from_name(ob.text(2)).value_or(eval::EventKind::down),
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
    e.destination = ob.text(14);
    extras_from_text(ob.text(15), e.event);
    return e;
}

}  // namespace portwatch::store::sqlite_detail
