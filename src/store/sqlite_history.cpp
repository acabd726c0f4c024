// The SQLite store's history reads (HistoryReader), on their own read-only connection.
#include "store/sqlite.hpp"

#include <algorithm>

#include "store/sqlite_statement.hpp"
#include "store/sqlite_tiers.hpp"

namespace portwatch::store {

using namespace sqlite_detail;

SqliteHistory::~SqliteHistory() {
    sqlite3_close_v2(db_);
}

std::unique_ptr<HistoryReader> SqliteHistory::another() {
    return std::make_unique<SqliteHistory>(path_);
}

util::Result<sqlite3*> SqliteHistory::reader() {
    if (db_ == nullptr) {
        if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK) {
            auto err = db_error(db_, "open for reading");
            sqlite3_close_v2(db_);
            db_ = nullptr;
            return err;
        }
        sqlite3_busy_timeout(db_, 2000);
    }
    return db_;
}

namespace {

/// Sums of rollup rows.
struct Sums {
    std::int64_t checks = 0;
    std::int64_t failures = 0;
    std::int64_t lat_count = 0;
    std::int64_t lat_min = 0;  ///< microseconds, of rows with lat_count > 0
    std::int64_t lat_sum = 0;
    std::int64_t lat_max = 0;

    void add(Stmt const& st, int col) {
        auto const n = st.integer(col + 2);
        if (n > 0) {
            auto const mn = st.integer(col + 3);
            lat_min = lat_count == 0 ? mn : std::min(lat_min, mn);
            lat_max = std::max(lat_max, st.integer(col + 5));
        }
        checks += st.integer(col);
        failures += st.integer(col + 1);
        lat_count += n;
        lat_sum += st.integer(col + 4);
    }
    std::optional<double> uptime() const {
        if (checks == 0) {
            return std::nullopt;
        }
        return static_cast<double>(checks - failures) / static_cast<double>(checks);
    }
    Rollup rollup(std::int64_t start_minute) const {
        auto const ms = [](std::int64_t us) { return static_cast<double>(us) / 1000.0; };
        return Rollup{
            .start = util::TimePoint(duration_cast<util::Clock::duration>(minutes(start_minute))),
            .checks = static_cast<std::uint64_t>(checks),
            .failures = static_cast<std::uint64_t>(failures),
            .latency_min_ms = lat_count > 0 ? ms(lat_min) : 0,
            .latency_avg_ms = lat_count > 0 ? ms(lat_sum) / static_cast<double>(lat_count) : 0,
            .latency_max_ms = lat_count > 0 ? ms(lat_max) : 0,
        };
    }
};

/// The aggregate columns Sums::add() reads, in its order.
constexpr char const* sum_columns =
    "coalesce(sum(r.checks), 0), coalesce(sum(r.failures), 0), coalesce(sum(r.lat_count), 0),"
    " coalesce(min(CASE WHEN r.lat_count > 0 THEN r.lat_min END), 0),"
    " coalesce(sum(r.lat_sum), 0), coalesce(max(r.lat_max), 0)";

/// The window [from, to) in minutes, its start moved back to a whole hour or day when the
/// finer rows there are pruned already (`to` taken as now): a 30-day window is 30 whole days
/// plus the hours and minutes of today.
std::pair<std::int64_t, std::int64_t> window_minutes(util::TimePoint from, util::TimePoint to) {
    auto fm = to_minute(from);
    auto const tm = to_minute(to);
    if (fm < to_minute(to - SqliteStore::minute_rows_kept)) {
        fm = floor_div(fm, 60) * 60;
    }
    if (fm < to_minute(to - SqliteStore::hour_rows_kept) + 60) {
        fm = floor_div(fm, 1440) * 1440;
    }
    return {fm, tm};
}

/// Calls f(tier, span) for each non-empty span of the split of [from, to).
template <class F>
bool each_span(std::int64_t from, std::int64_t to, F f) {
    auto const s = split_minutes(from, to);
    std::array<std::pair<Tier, Span>, 5> const spans = {{{minute_tier, s.minutes[0]},
                                                         {minute_tier, s.minutes[1]},
                                                         {hour_tier, s.hours[0]},
                                                         {hour_tier, s.hours[1]},
                                                         {day_tier, s.days}}};
    for (auto const& [tier, span] : spans) {
        if (span.begin < span.end && !f(tier, span)) {
            return false;
        }
    }
    return true;
}

/// The series id of `key` on the reading connection; 0 when it has none.
util::Result<std::int64_t> find_series(sqlite3* db, std::string const& key) {
    Stmt st(db, "SELECT id FROM series WHERE key = ?1");
    st.bind(1, key);
    if (!st.ok()) {
        return db_error(db, "read series");
    }
    int const rc = st.step();
    if (rc == SQLITE_ROW) {
        return st.integer(0);
    }
    if (rc != SQLITE_DONE) {
        return db_error(db, "read series");
    }
    return std::int64_t{0};
}

/// Steps through the rows of `st` (a sum_columns query): f(sums) per row; false on an error.
template <class F>
bool each_sums_row(Stmt& st, F f) {
    if (!st.ok()) {
        return false;
    }
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        Sums sums;
        sums.add(st, 0);
        f(sums);
    }
    return rc == SQLITE_DONE;
}

/// One series' rows of one tier in `span`, by point lookups on (t, series), grouped by
/// `group` rows of the tier (0: one group); f(first t of the group, sums) per group.
template <class F>
bool lookup_span(sqlite3* db, Tier const& tier, Span span, std::int64_t series, std::int64_t group,
                 F f) {
    auto const sql = fmt::format(
        "WITH RECURSIVE ts(t) AS (SELECT ?1 UNION ALL SELECT t + 1 FROM ts WHERE t + 1 < ?2)"
        " SELECT {}, {} AS g FROM ts JOIN {} r ON r.t = ts.t AND r.series = ?3 GROUP BY g"
        " ORDER BY g",
        sum_columns, group > 0 ? "(r.t - ?4) / ?5 * ?5 + ?4" : "?4", tier.table);
    Stmt st(db, sql.c_str());
    st.bind(1, span.begin).bind(2, span.end).bind(3, series).bind(4, span.begin);
    if (group > 0) {
        st.bind(5, group);
    }
    return each_sums_row(st, [&](Sums const& sums) {
        if (sums.checks > 0) {
            f(st.integer(6), sums);
        }
    });
}

/// Every series' rows of one tier in `span`, by a range scan, grouped by series and `group`
/// rows (0: one group); f(key, first t of the group, sums) per group.
template <class F>
bool scan_span(sqlite3* db, Tier const& tier, Span span, std::int64_t group, F f) {
    auto const sql = fmt::format(
        "SELECT {}, {} AS g, s.key FROM {} r JOIN series s ON s.id = r.series"
        " WHERE r.t >= ?1 AND r.t < ?2 GROUP BY r.series, g",
        sum_columns, group > 0 ? "(r.t - ?1) / ?3 * ?3 + ?1" : "?1", tier.table);
    Stmt st(db, sql.c_str());
    st.bind(1, span.begin).bind(2, span.end);
    if (group > 0) {
        st.bind(3, group);
    }
    return each_sums_row(st, [&](Sums const& sums) { f(st.text(7), st.integer(6), sums); });
}

/// The tier whose rows make whole buckets of `bucket` over [from, to) (minutes).
Tier tier_for(std::int64_t from, std::int64_t to, std::chrono::seconds bucket) {
    auto const b = std::max<std::int64_t>(1, bucket.count() / 60);
    for (auto const& tier : {day_tier, hour_tier}) {
        if (b % tier.minutes == 0 && from % tier.minutes == 0 && to % tier.minutes == 0) {
            return tier;
        }
    }
    return minute_tier;
}

}  // namespace

util::Result<std::optional<double>> SqliteHistory::uptime(std::string const& target_key,
                                                          util::TimePoint from,
                                                          util::TimePoint to) {
    std::lock_guard lock(mutex_);
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto const series = find_series(*db, target_key);
    if (!series) {
        return series.error();
    }
    if (*series == 0) {
        return std::optional<double>();
    }
    Sums total;
    auto const [fm, tm] = window_minutes(from, to);
    bool const ok = each_span(fm, tm, [&](Tier const& tier, Span span) {
        return lookup_span(*db, tier, span, *series, 0, [&](std::int64_t, Sums const& s) {
            total.checks += s.checks;
            total.failures += s.failures;
        });
    });
    if (!ok) {
        return db_error(*db, "uptime");
    }
    return total.uptime();
}

util::Result<UptimeByKey> SqliteHistory::uptime_many(std::vector<std::string> const& keys,
                                                     util::TimePoint from, util::TimePoint to) {
    std::lock_guard lock(mutex_);
    auto db = reader();
    if (!db) {
        return db.error();
    }
    std::unordered_map<std::string, Sums> sums;
    sums.reserve(keys.size());
    for (auto const& k : keys) {
        sums.emplace(k, Sums{});
    }
    auto const [fm, tm] = window_minutes(from, to);
    bool const ok = each_span(fm, tm, [&](Tier const& tier, Span span) {
        return scan_span(*db, tier, span, 0,
                         [&](std::string const& key, std::int64_t, Sums const& s) {
                             if (auto it = sums.find(key); it != sums.end()) {
                                 it->second.checks += s.checks;
                                 it->second.failures += s.failures;
                             }
                         });
    });
    if (!ok) {
        return db_error(*db, "uptime");
    }
    UptimeByKey out;
    out.reserve(sums.size());
    for (auto const& [key, s] : sums) {
        out.emplace(key, s.uptime());
    }
    return out;
}

util::Result<std::vector<Rollup>> SqliteHistory::rollups(std::string const& target_key,
                                                         util::TimePoint from, util::TimePoint to,
                                                         std::chrono::seconds bucket) {
    std::lock_guard lock(mutex_);
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto const series = find_series(*db, target_key);
    if (!series) {
        return series.error();
    }
    std::vector<Rollup> out;
    if (*series == 0) {
        return out;
    }
    auto const fm = to_minute(from);
    auto const tm = to_minute(to);
    auto const tier = tier_for(fm, tm, bucket);
    auto const group = std::max<std::int64_t>(1, bucket.count() / 60 / tier.minutes);
    // Buckets on the epoch grid (as before the tiers): from the first bucket at or before from.
    auto const first = floor_div(floor_div(fm, tier.minutes), group) * group;
    Span const span{first, ceil_div(tm, tier.minutes)};
    if (span.begin >= span.end) {
        return out;
    }
    bool const ok = lookup_span(
        *db, tier, span, *series, group,
        [&](std::int64_t t, Sums const& s) { out.push_back(s.rollup(t * tier.minutes)); });
    if (!ok) {
        return db_error(*db, "rollups");
    }
    return out;
}

util::Result<RollupsByKey> SqliteHistory::rollups_many(std::vector<std::string> const& keys,
                                                       util::TimePoint from, util::TimePoint to,
                                                       std::chrono::seconds bucket) {
    std::lock_guard lock(mutex_);
    auto db = reader();
    if (!db) {
        return db.error();
    }
    RollupsByKey out;
    out.reserve(keys.size());
    for (auto const& k : keys) {
        out.emplace(k, std::vector<Rollup>{});
    }
    auto const fm = to_minute(from);
    auto const tm = to_minute(to);
    auto const tier = tier_for(fm, tm, bucket);
    auto const group = std::max<std::int64_t>(1, bucket.count() / 60 / tier.minutes);
    auto const first = floor_div(floor_div(fm, tier.minutes), group) * group;
    Span const span{first, ceil_div(tm, tier.minutes)};
    if (span.begin >= span.end) {
        return out;
    }
    bool const ok = scan_span(*db, tier, span, group,
                              [&](std::string const& key, std::int64_t t, Sums const& s) {
                                  if (auto it = out.find(key); it != out.end() && s.checks > 0) {
                                      it->second.push_back(s.rollup(t * tier.minutes));
                                  }
                              });
    if (!ok) {
        return db_error(*db, "rollups");
    }
    for (auto& [key, v] : out) {
        std::sort(v.begin(), v.end(),
                  [](Rollup const& a, Rollup const& b) { return a.start < b.start; });
    }
    return out;
}

util::Result<std::vector<Transition>> SqliteHistory::transitions(std::string const& target_key,
                                                                 std::size_t limit) {
    std::lock_guard lock(mutex_);
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
