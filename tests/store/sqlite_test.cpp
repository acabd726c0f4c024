#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <thread>

#include <gtest/gtest.h>

#include "store/error.hpp"
#include "store/open.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::store {
namespace {

using namespace std::chrono_literals;

util::TimePoint const t0 = util::TimePoint(1'750'000'020s);  // a whole minute

OutboxEntry entry(std::string const& key, eval::EventKind kind, util::TimePoint t) {
    return OutboxEntry{.event = eval::Event{.id = eval::make_event_id(key, kind, t),
                                            .kind = kind,
                                            .key = key,
                                            .host = "h",
                                            .port = 1,
                                            .description = "bytes \xff\xfe and \xEC\x9E\xA5",
                                            .reason = "refused",
                                            .detail = "d",
                                            .time = t},
                       .message = "msg " + key};
}

eval::TargetState down_state() {
    return eval::TargetState{.status = eval::Status::down,
                             .since = t0,
                             .reason = "timeout",
                             .consecutive_failures = 3,
                             .last_check = t0 + 1s,
                             .recent_failures = 0b101,
                             .last_alert = t0};
}

std::unique_ptr<SqliteStore> open(test::TempDir const& dir) {
    auto s = SqliteStore::open(dir / "sub" / "pw.db");
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
}

TEST(SqliteStore, EmptyThenCommitRoundTrip) {
    test::TempDir dir;
    auto store = open(dir);
    ASSERT_TRUE(store);
    auto empty = store->load();
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->state, State{});

    State state;
    state.targets = {{"b:2", down_state()}, {"a:1", eval::TargetState{.status = eval::Status::up}}};
    state.outbox = {entry("b:2", eval::EventKind::down, t0),
                    entry("a:1", eval::EventKind::up, t0 + 1s)};
    state.outbox[1].event.reminder = true;
    state.outbox[1].attempts = 2;
    state.outbox[1].last_error = "exit status 1";
    ASSERT_TRUE(store->commit(state));
    store.reset();

    auto again = open(dir);
    auto loaded = again->load();
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->state, state);
}

TEST(SqliteStore, BatchUpsertsDeletesAndKeepsOutboxOrder) {
    test::TempDir dir;
    auto store = open(dir);
    Batch b1;
    b1.states = {{"a:1", down_state()}, {"b:2", down_state()}};
    b1.outbox_put = {entry("a:1", eval::EventKind::down, t0),
                     entry("b:2", eval::EventKind::down, t0 + 1s)};
    b1.transitions = {{"a:1", eval::Status::up, eval::Status::down, t0, "refused"}};
    ASSERT_TRUE(store->apply(b1));

    // An update of attempts keeps the entry's place; a delete removes it; a state goes.
    Batch b2;
    auto retried = b1.outbox_put[0];
    retried.attempts = 1;
    retried.next_attempt = t0 + 60s;
    b2.outbox_put = {retried, entry("a:1", eval::EventKind::up, t0 + 5s)};
    b2.outbox_delete = {b1.outbox_put[1].event.id};
    b2.removed = {"b:2"};
    auto up = down_state();
    up.status = eval::Status::up;
    b2.states = {{"a:1", up}};
    ASSERT_TRUE(store->apply(b2));

    auto loaded = store->load();
    ASSERT_TRUE(loaded);
    ASSERT_EQ(loaded->state.targets.size(), 1u);
    EXPECT_EQ(loaded->state.targets[0].second, up);
    ASSERT_EQ(loaded->state.outbox.size(), 2u);
    EXPECT_EQ(loaded->state.outbox[0], retried);
    EXPECT_EQ(loaded->state.outbox[1].event.kind, eval::EventKind::up);
}

TEST(SqliteStore, RollupsMergePerMinuteAndServeHistoryFromAnotherThread) {
    test::TempDir dir;
    auto store = open(dir);
    auto const minute = std::chrono::duration_cast<std::chrono::minutes>(t0.time_since_epoch());
    Batch b;
    b.rollups = {{"a:1", minute.count(), 10, 2, 8, 1.0, 16.0, 5.0},
                 {"a:1", minute.count() + 1, 10, 0, 10, 0.5, 10.0, 1.0},
                 {"b:2", minute.count(), 4, 4, 0, 0, 0, 0}};
    ASSERT_TRUE(store->apply(b));
    Batch more;
    more.rollups = {{"a:1", minute.count(), 10, 0, 10, 0.2, 10.0, 9.0}};
    more.transitions = {{"a:1", eval::Status::up, eval::Status::down, t0, "refused"},
                        {"b:2", eval::Status::unknown, eval::Status::down, t0 + 1s, "timeout"},
                        {"a:1", eval::Status::down, eval::Status::up, t0 + 2s, ""}};
    ASSERT_TRUE(store->apply(more));

    std::thread reader([&] {
        HistoryReader& h = *store;
        auto up = h.uptime("a:1", t0, t0 + 2min);
        ASSERT_TRUE(up) << up.error().message;
        ASSERT_TRUE(up->has_value());
        EXPECT_DOUBLE_EQ(**up, 28.0 / 30.0);
        auto none = h.uptime("zz:1", t0, t0 + 2min);
        ASSERT_TRUE(none);
        EXPECT_FALSE(none->has_value());

        auto r = h.rollups("a:1", t0, t0 + 1h, 3600s);
        ASSERT_TRUE(r);
        ASSERT_EQ(r->size(), 1u);
        EXPECT_EQ((*r)[0].checks, 30u);
        EXPECT_EQ((*r)[0].failures, 2u);
        EXPECT_DOUBLE_EQ((*r)[0].latency_min_ms, 0.2);
        EXPECT_DOUBLE_EQ((*r)[0].latency_max_ms, 9.0);
        EXPECT_DOUBLE_EQ((*r)[0].latency_avg_ms, 36.0 / 28.0);
        auto per_minute = h.rollups("a:1", t0, t0 + 1h, 60s);
        ASSERT_TRUE(per_minute);
        EXPECT_EQ(per_minute->size(), 2u);
        auto failed_only = h.rollups("b:2", t0, t0 + 1h, 60s);
        ASSERT_TRUE(failed_only);
        ASSERT_EQ(failed_only->size(), 1u);
        EXPECT_EQ((*failed_only)[0].latency_max_ms, 0.0);

        auto all = h.transitions("", 10);
        ASSERT_TRUE(all);
        ASSERT_EQ(all->size(), 3u);
        EXPECT_EQ((*all)[0].to, eval::Status::up);  // newest first
        auto mine = h.transitions("b:2", 10);
        ASSERT_TRUE(mine);
        ASSERT_EQ(mine->size(), 1u);
        EXPECT_EQ((*mine)[0].reason, "timeout");
        auto one = h.transitions("", 1);
        ASSERT_TRUE(one);
        EXPECT_EQ(one->size(), 1u);
    });
    // The writer keeps writing meanwhile (WAL: readers never block it).
    for (int i = 0; i < 20; ++i) {
        Batch w;
        w.states = {{"c:3", down_state()}};
        ASSERT_TRUE(store->apply(w));
    }
    reader.join();

    ASSERT_TRUE(store->prune(t0 + 1min));
    auto left = store->rollups("a:1", t0 - 1h, t0 + 1h, 60s);
    ASSERT_TRUE(left);
    EXPECT_EQ(left->size(), 1u);
    auto trans = store->transitions("", 10);
    ASSERT_TRUE(trans);
    EXPECT_EQ(trans->size(), 0u);
}

TEST(SqliteStore, RefusesANewerSchema) {
    test::TempDir dir;
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir / "new.db").c_str(), &db), SQLITE_OK);
        sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
    auto s = SqliteStore::open(dir / "new.db");
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("schema version 99"), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().code, StoreError::newer_schema);
}

// A database as version 1 of this store made it, by raw SQL (not by the code under test).
constexpr char const* schema_v1 = R"(
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
INSERT INTO target_state VALUES('b:2', 'DOWN', 1750000020000000, 'refused', 2, 0,
    1750000021000000, 0, 0);
INSERT INTO outbox(seq, id, key, kind, reminder, host, port, description, reason, detail, time,
    message, attempts, next_attempt, last_error) VALUES
    (7, 'e2', 'b:2', 'down', 0, 'b', 2, 'svc', 'refused', 'd', 1750000020000000, 'second', 1,
     1750000080000000, 'exit status 1'),
    (3, 'e1', 'b:2', 'up', 1, 'b', 2, 'svc', '', '', 1750000010000000, 'first', 0, 0, '');
INSERT INTO transitions(key, from_status, to_status, time, reason) VALUES
    ('b:2', 'UP', 'DOWN', 1750000020000000, 'refused');
PRAGMA user_version = 1;
)";

TEST(SqliteStore, MigratesAVersion1Database) {
    test::TempDir dir;
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir / "v1.db").c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, schema_v1, nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    auto s = SqliteStore::open(dir / "v1.db");
    ASSERT_TRUE(s) << s.error().message;
    auto loaded = (*s)->load();
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->state.targets.size(), 1u);
    EXPECT_EQ(loaded->state.targets[0].second.consecutive_failures, 2);
    auto const& outbox = loaded->state.outbox;
    ASSERT_EQ(outbox.size(), 2u);  // in their old order, for the default destination
    EXPECT_EQ(outbox[0].id(), OutboxId("e1"));
    EXPECT_EQ(outbox[0].message, "first");
    EXPECT_TRUE(outbox[0].event.reminder);
    EXPECT_EQ(outbox[1].id(), OutboxId("e2"));
    EXPECT_EQ(outbox[1].attempts, 1);
    EXPECT_EQ(outbox[1].last_error, "exit status 1");
    EXPECT_EQ(outbox[1].next_attempt, t0 + 60s);
    auto trans = (*s)->transitions("b:2", 10);
    ASSERT_TRUE(trans);
    EXPECT_EQ(trans->size(), 1u);
    // The same event for a second destination is a second entry, after the others.
    auto slack = outbox[0];
    slack.destination = "slack";
    Batch b;
    b.outbox_put = {slack};
    ASSERT_TRUE((*s)->commit(b));
    auto again = (*s)->load();
    ASSERT_TRUE(again);
    ASSERT_EQ(again->state.outbox.size(), 3u);
    EXPECT_EQ(again->state.outbox[2].id(), OutboxId("e1", "slack"));
}

TEST(SqliteStore, UsesWalAndRecordsSchemaVersion) {
    test::TempDir dir;
    ASSERT_TRUE(open(dir));
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "sub" / "pw.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<char const*>(sqlite3_column_text(st, 0)), "wal");
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), SqliteStore::schema_version);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST(OpenStore, ChoosesTheBackendByUrl) {
    test::TempDir dir;
    auto j = open_store("json:" + (dir / "s.json").string());
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)->describe(), (dir / "s.json").string());
    auto s = open_store("sqlite:" + (dir / "s.db").string());
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ((*s)->describe(), "sqlite:" + (dir / "s.db").string());
    EXPECT_FALSE(open_store("postgres://x"));
    EXPECT_FALSE(open_store("sqlite:"));
}

}  // namespace
}  // namespace portwatch::store
