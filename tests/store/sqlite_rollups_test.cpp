// The SQLite store's rollup tiers: minute, hour and day rows, their pruning in bounded steps,
// uptime from the coarsest rows, reads of all keys at once, and the upgrade of older files.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include "store/sqlite.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::store {
namespace {

using namespace std::chrono_literals;

// 2025-06-15T00:00:00Z: a whole UTC day.
util::TimePoint const day0 = util::TimePoint(1'749'945'600s);

std::int64_t minute_of(util::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count();
}

std::int64_t count_rows(std::filesystem::path const& db_path, char const* table) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    std::string const sql = std::string("SELECT count(*) FROM ") + table;
    std::int64_t n = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/// One rollup every 10 minutes for 3 days: key "a:1" fails one check in ten, "b:2" never.
Batch three_days() {
    Batch b;
    for (std::int64_t m = minute_of(day0); m < minute_of(day0 + 72h); m += 10) {
        b.rollups.push_back({"a:1", m, 10, 1, 9, 1.0, 9 * 2.0, 3.0});
        b.rollups.push_back({"b:2", m, 10, 0, 10, 0.5, 10 * 1.0, 1.5});
    }
    return b;
}

TEST(SqliteRollups, WritesEveryTierAndAnswersUptimeFromTheCoarsest) {
    test::TempDir dir;
    auto s = SqliteStore::open(dir / "pw.db");
    ASSERT_TRUE(s) << s.error().message;
    auto& store = **s;
    ASSERT_TRUE(store.commit(three_days()));
    EXPECT_EQ(count_rows(dir / "pw.db", "rollups_minute"), 2 * 72 * 6);
    EXPECT_EQ(count_rows(dir / "pw.db", "rollups_hour"), 2 * 72);
    EXPECT_EQ(count_rows(dir / "pw.db", "rollups_day"), 2 * 3);

    auto const end = day0 + 72h;
    for (auto window : {1h, 24h, 7 * 24h, 30 * 24h}) {
        auto up = store.uptime("a:1", end - window, end);
        ASSERT_TRUE(up) << up.error().message;
        ASSERT_TRUE(up->has_value());
        EXPECT_DOUBLE_EQ(**up, 0.9);
    }
    // A window that starts and ends inside hours: minutes at both ends, hours, days between.
    auto up = store.uptime("a:1", day0 + 90min, day0 + 50h + 30min);
    ASSERT_TRUE(up);
    EXPECT_DOUBLE_EQ(**up, 0.9);

    auto days = store.rollups("a:1", day0, day0 + 72h, 24h);
    ASSERT_TRUE(days);
    ASSERT_EQ(days->size(), 3u);
    EXPECT_EQ((*days)[1].start, day0 + 24h);
    EXPECT_EQ((*days)[1].checks, 1440u);
    EXPECT_EQ((*days)[1].failures, 144u);
    EXPECT_DOUBLE_EQ((*days)[1].latency_avg_ms, 2.0);
    EXPECT_DOUBLE_EQ((*days)[1].latency_max_ms, 3.0);

    // All keys at once, the same figures.
    auto many = store.rollups_many({"a:1", "b:2", "zz:9"}, day0, day0 + 72h, 24h);
    ASSERT_TRUE(many);
    ASSERT_EQ(many->at("a:1").size(), 3u);
    EXPECT_EQ(many->at("a:1")[1].failures, 144u);
    EXPECT_EQ(many->at("b:2")[2].failures, 0u);
    EXPECT_TRUE(many->at("zz:9").empty());
    auto hours = store.rollups_many({"b:2"}, end - 24h, end, 1h);
    ASSERT_TRUE(hours);
    ASSERT_EQ(hours->at("b:2").size(), 24u);
    EXPECT_DOUBLE_EQ(hours->at("b:2")[0].latency_avg_ms, 1.0);
    auto ups = store.uptime_many({"a:1", "b:2", "zz:9"}, end - 7 * 24h, end);
    ASSERT_TRUE(ups);
    EXPECT_DOUBLE_EQ(*ups->at("a:1"), 0.9);
    EXPECT_DOUBLE_EQ(*ups->at("b:2"), 1.0);
    EXPECT_FALSE(ups->at("zz:9").has_value());
}

TEST(SqliteRollups, CompactsInBoundedStepsAndKeepsTheCoarseRows) {
    test::TempDir dir;
    auto s = SqliteStore::open(dir / "pw.db");
    ASSERT_TRUE(s) << s.error().message;
    auto& store = **s;
    ASSERT_TRUE(store.commit(three_days()));
    auto const now = day0 + 72h;
    int steps = 0;
    for (;;) {
        auto more = store.compact(now, now - 90 * 24h, 100);
        ASSERT_TRUE(more) << more.error().message;
        ++steps;
        if (!*more || steps > 100) {
            break;
        }
    }
    // 792 minute rows past their 6 hours, at most 100 a step.
    EXPECT_GE(steps, 8);
    EXPECT_EQ(count_rows(dir / "pw.db", "rollups_minute"),
              2 * 6 * SqliteStore::minute_rows_kept.count());
    EXPECT_EQ(count_rows(dir / "pw.db", "rollups_hour"), 2 * 72);
    EXPECT_EQ(count_rows(dir / "pw.db", "rollups_day"), 2 * 3);
    // Uptime over every window still counts every check (days, hours, then minutes).
    auto up = store.uptime_many({"a:1"}, now - 30 * 24h, now);
    ASSERT_TRUE(up);
    EXPECT_DOUBLE_EQ(*up->at("a:1"), 0.9);
    auto day = store.rollups("a:1", day0, day0 + 24h, 24h);
    ASSERT_TRUE(day);
    ASSERT_EQ(day->size(), 1u);
    EXPECT_EQ((*day)[0].checks, 1440u);

    // Retention: everything before `before` goes, in every tier.
    ASSERT_TRUE(store.prune(day0 + 24h));
    EXPECT_EQ(count_rows(dir / "pw.db", "rollups_day"), 2 * 2);
    EXPECT_EQ(count_rows(dir / "pw.db", "rollups_hour"), 2 * 48);
}

// A version 3 file (per-minute rows keyed by text), by raw SQL as that version made it.
constexpr char const* schema_v3_rollups = R"(
CREATE TABLE rollups(
    key TEXT NOT NULL, minute INTEGER NOT NULL, checks INTEGER NOT NULL,
    failures INTEGER NOT NULL, lat_count INTEGER NOT NULL, lat_min REAL NOT NULL,
    lat_sum REAL NOT NULL, lat_max REAL NOT NULL, PRIMARY KEY(key, minute)) WITHOUT ROWID;
CREATE INDEX rollups_by_minute ON rollups(minute);
CREATE TABLE transitions(
    id INTEGER PRIMARY KEY, key TEXT NOT NULL, from_status TEXT NOT NULL,
    to_status TEXT NOT NULL, time INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE TABLE target_state(
    key TEXT PRIMARY KEY, status TEXT NOT NULL, since INTEGER NOT NULL,
    reason TEXT NOT NULL, failures INTEGER NOT NULL, successes INTEGER NOT NULL,
    last_check INTEGER NOT NULL, recent INTEGER NOT NULL, last_alert INTEGER NOT NULL,
    cert_warned INTEGER NOT NULL DEFAULT 0, cert_warned_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE outbox(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, destination TEXT NOT NULL,
    key TEXT NOT NULL, kind TEXT NOT NULL, reminder INTEGER NOT NULL, host TEXT NOT NULL,
    port INTEGER NOT NULL, description TEXT NOT NULL, reason TEXT NOT NULL,
    detail TEXT NOT NULL, time INTEGER NOT NULL, message TEXT NOT NULL,
    attempts INTEGER NOT NULL, next_attempt INTEGER NOT NULL, last_error TEXT NOT NULL,
    claimed_by TEXT NOT NULL DEFAULT '', lease_until INTEGER NOT NULL DEFAULT 0,
    extras TEXT NOT NULL DEFAULT '', UNIQUE(id, destination));
INSERT INTO rollups VALUES('a:1', 29165760, 10, 2, 8, 1.5, 16.0, 4.25);
INSERT INTO rollups VALUES('a:1', 29165761, 10, 0, 10, 0.5, 10.0, 2.0);
INSERT INTO rollups VALUES('a:1', 29165820, 5, 5, 0, 0, 0, 0);
INSERT INTO rollups VALUES('b:2', 29165760, 4, 0, 4, 3.0, 12.0, 3.0);
PRAGMA user_version = 3;
)";

TEST(SqliteRollups, UpgradesAVersion3FileInPlace) {
    test::TempDir dir;
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir / "v3.db").c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, schema_v3_rollups, nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    {
        auto s = SqliteStore::open(dir / "v3.db");
        ASSERT_TRUE(s) << s.error().message;
        // Minute 29165760 is 2025-06-14T00:00Z.
        auto const d = util::TimePoint(std::chrono::minutes(29165760));
        auto day = (*s)->rollups("a:1", d, d + 24h, 24h);
        ASSERT_TRUE(day) << day.error().message;
        ASSERT_EQ(day->size(), 1u);
        EXPECT_EQ((*day)[0].checks, 25u);
        EXPECT_EQ((*day)[0].failures, 7u);
        EXPECT_DOUBLE_EQ((*day)[0].latency_min_ms, 0.5);
        EXPECT_DOUBLE_EQ((*day)[0].latency_max_ms, 4.25);
        EXPECT_DOUBLE_EQ((*day)[0].latency_avg_ms, 26.0 / 18.0);
        auto hours = (*s)->rollups("a:1", d, d + 2h, 1h);
        ASSERT_TRUE(hours);
        ASSERT_EQ(hours->size(), 2u);
        EXPECT_EQ((*hours)[1].failures, 5u);
        auto up = (*s)->uptime("b:2", d, d + 1min);
        ASSERT_TRUE(up);
        EXPECT_DOUBLE_EQ(**up, 1.0);
    }
    EXPECT_EQ(count_rows(dir / "v3.db", "rollups_minute"), 4);
    EXPECT_EQ(count_rows(dir / "v3.db", "rollups"), -1);  // gone
}

}  // namespace
}  // namespace portwatch::store
