#include "crash/store_reader.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

namespace portwatch::test {

namespace {

/// Runs `sql`, calling `row` with each row's statement.
template <class Row>
bool each_row(sqlite3* db, char const* sql, Row row, std::string& error) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
        error = fmt::format("{}: {}", sql, sqlite3_errmsg(db));
        return false;
    }
    int rc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        error = fmt::format("{}: {}", sql, sqlite3_errmsg(db));
        return false;
    }
    return true;
}

std::string text(sqlite3_stmt* st, int col) {
    auto const* p = sqlite3_column_text(st, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<char const*>(p));
}

}  // namespace

std::optional<StoreView> read_store(std::filesystem::path const& path, std::string& error) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return std::nullopt;
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        error = fmt::format("cannot open {}: {}", path.string(), sqlite3_errmsg(db));
        sqlite3_close(db);
        return std::nullopt;
    }
    sqlite3_busy_timeout(db, 5000);
    StoreView v;
    bool const ok =
        each_row(
            db, "PRAGMA integrity_check",
            [&](sqlite3_stmt* st) {
                v.integrity += (v.integrity.empty() ? "" : "; ") + text(st, 0);
            },
            error) &&
        each_row(
            db, "SELECT id, key, from_status, to_status, time FROM transitions ORDER BY id",
            [&](sqlite3_stmt* st) {
                v.transitions.push_back({.id = sqlite3_column_int64(st, 0),
                                         .key = text(st, 1),
                                         .from = text(st, 2),
                                         .to = text(st, 3),
                                         .time_us = sqlite3_column_int64(st, 4)});
            },
            error) &&
        each_row(
            db, "SELECT id, destination FROM outbox",
            [&](sqlite3_stmt* st) {
                v.outbox_ids.insert(text(st, 0));
                v.outbox_entries.emplace(text(st, 0), text(st, 1));
            },
            error) &&
        each_row(
            db, "SELECT key, status FROM target_state",
            [&](sqlite3_stmt* st) { v.statuses[text(st, 0)] = text(st, 1); }, error);
    sqlite3_close(db);
    if (!ok) {
        return std::nullopt;
    }
    return v;
}

std::string make_outbox_due(std::filesystem::path const& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return "";
    }
    sqlite3* db = nullptr;
    std::string error;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        error = fmt::format("cannot open {}: {}", path.string(), sqlite3_errmsg(db));
    } else {
        sqlite3_busy_timeout(db, 5000);
        char* msg = nullptr;
        if (sqlite3_exec(db, "UPDATE outbox SET next_attempt = 0", nullptr, nullptr, &msg) !=
            SQLITE_OK) {
            error = fmt::format("make the outbox due: {}", msg == nullptr ? "?" : msg);
        }
        sqlite3_free(msg);
    }
    sqlite3_close(db);
    return error;
}

}  // namespace portwatch::test
