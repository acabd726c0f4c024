// The SQLite store's rollup tiers: writing a minute's rollup into the minute, hour and day
// rows, and the bounded pruning of each tier (store/sqlite.hpp).
#include <cmath>

#include <fmt/format.h>

#include "store/sqlite.hpp"
#include "store/sqlite_statement.hpp"
#include "store/sqlite_tiers.hpp"

namespace portwatch::store {

using namespace sqlite_detail;

namespace {

std::int64_t to_us_count(double ms) {
    return static_cast<std::int64_t>(std::llround(ms * 1000.0));
}

std::string upsert_sql(Tier const& tier) {
    return fmt::format(
        "INSERT INTO {}(t, series, checks, failures, lat_count, lat_min, lat_sum, lat_max)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(t, series) DO UPDATE SET"
        " checks = checks + ?3, failures = failures + ?4,"
        " lat_min = CASE WHEN lat_count = 0 THEN ?6 WHEN ?5 = 0 THEN lat_min"
        " ELSE min(lat_min, ?6) END, lat_count = lat_count + ?5,"
        " lat_sum = lat_sum + ?7, lat_max = max(lat_max, ?8)",
        tier.table);
}

}  // namespace

util::Result<std::int64_t> SqliteStore::series_id(std::string const& key) {
    if (auto it = series_ids_.find(key); it != series_ids_.end()) {
        return it->second;
    }
    Stmt ins(db_, "INSERT INTO series(key) VALUES(?1) ON CONFLICT(key) DO NOTHING");
    if (!ins.ok() || !ins.bind(1, key).run()) {
        return db_error(db_, "save series");
    }
    Stmt sel(db_, "SELECT id FROM series WHERE key = ?1");
    sel.bind(1, key);
    if (!sel.ok() || sel.step() != SQLITE_ROW) {
        return db_error(db_, "read series");
    }
    auto const id = sel.integer(0);
    series_ids_.emplace(key, id);
    return id;
}

util::Result<void> SqliteStore::write_rollups(std::vector<MinuteRollup> const& rollups) {
    std::array<Tier, 3> const tiers = {minute_tier, hour_tier, day_tier};
    std::array<std::string, 3> const sql = {upsert_sql(tiers[0]), upsert_sql(tiers[1]),
                                            upsert_sql(tiers[2])};
    Stmt minute(db_, sql[0].c_str());
    Stmt hour(db_, sql[1].c_str());
    Stmt day(db_, sql[2].c_str());
    std::array<Stmt*, 3> const stmts = {&minute, &hour, &day};
    for (auto const& r : rollups) {
        auto const id = series_id(r.key);
        if (!id) {
            return id.error();
        }
        for (std::size_t i = 0; i < tiers.size(); ++i) {
            auto& st = *stmts[i];
            if (!st.ok() || !st.bind(1, floor_div(r.minute, tiers[i].minutes))
                                 .bind(2, *id)
                                 .bind(3, static_cast<std::int64_t>(r.checks))
                                 .bind(4, static_cast<std::int64_t>(r.failures))
                                 .bind(5, static_cast<std::int64_t>(r.latency_count))
                                 .bind(6, to_us_count(r.latency_min_ms))
                                 .bind(7, to_us_count(r.latency_sum_ms))
                                 .bind(8, to_us_count(r.latency_max_ms))
                                 .run()) {
                return db_error(db_, "save rollup");
            }
        }
    }
    return {};
}

util::Result<void> SqliteStore::prune(util::TimePoint before) {
    for (;;) {
        // With now == before every tier keeps what is newer than `before`.
        auto more = compact(before, before, 100'000);
        if (!more) {
            return more.error();
        }
        if (!*more) {
            return {};
        }
    }
}

util::Result<bool> SqliteStore::compact(util::TimePoint now, util::TimePoint before,
                                        std::size_t max_rows) {
    auto const before_min = to_minute(before);
    auto const minute_cut = std::max(before_min, to_minute(now - minute_rows_kept));
    auto const hour_cut =
        std::max(floor_div(before_min, 60), floor_div(to_minute(now - hour_rows_kept), 60));
    auto const day_cut = floor_div(before_min, 1440);
    struct Step {
        std::string sql;
        std::int64_t cut;
    };
    // Each a prefix of its table's primary key (or of an index): no scan of what stays.
    std::array<Step, 4> const steps = {{
        {"DELETE FROM rollups_minute WHERE (t, series) IN (SELECT t, series FROM rollups_minute"
         " WHERE t < ?1 LIMIT ?2)",
         minute_cut},
        {"DELETE FROM rollups_hour WHERE (t, series) IN (SELECT t, series FROM rollups_hour"
         " WHERE t < ?1 LIMIT ?2)",
         hour_cut},
        {"DELETE FROM rollups_day WHERE (t, series) IN (SELECT t, series FROM rollups_day"
         " WHERE t < ?1 LIMIT ?2)",
         day_cut},
        {"DELETE FROM transitions WHERE id IN (SELECT id FROM transitions WHERE time < ?1"
         " LIMIT ?2)",
         to_us(before)},
    }};
    Transaction tx(db_);
    if (!tx.ok()) {
        return db_error(db_, "begin");
    }
    auto budget = static_cast<std::int64_t>(std::max<std::size_t>(max_rows, 1));
    bool more = false;
    for (auto const& step : steps) {
        Stmt st(db_, step.sql.c_str());
        if (!st.ok() || !st.bind(1, step.cut).bind(2, budget).run()) {
            return db_error(db_, "prune history");
        }
        budget -= sqlite3_changes(db_);
        if (budget <= 0) {
            more = true;
            break;
        }
    }
    if (auto c = tx.commit(); !c) {
        return c.error();
    }
    if (!more) {
        // Done: the WAL gives back what the deletes freed. Best effort (a reader may hold
        // it); a full disk makes room in commit() anyway.
        [[maybe_unused]] auto const truncated = checkpoint();
    }
    return more;
}

}  // namespace portwatch::store
