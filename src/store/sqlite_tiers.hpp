#pragma once

// Internal to the SQLite store: the rollup tiers and how a time range splits over them.
#include <array>
#include <cstdint>

namespace portwatch::store::sqlite_detail {

/// A rollup table and the length of its rows in minutes.
struct Tier {
    char const* table;
    std::int64_t minutes;
};

inline constexpr Tier minute_tier{"rollups_minute", 1};
inline constexpr Tier hour_tier{"rollups_hour", 60};
inline constexpr Tier day_tier{"rollups_day", 1440};

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}
inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
    return -floor_div(-a, b);
}

/// [begin, end) in rows of one tier (its own units).
struct Span {
    std::int64_t begin = 0;
    std::int64_t end = 0;
};

/// The minutes [from, to) as the fewest rows: whole days, whole hours at both ends of them,
/// minutes at both ends of those. Spans may be empty (begin >= end).
struct Split {
    std::array<Span, 2> minutes;
    std::array<Span, 2> hours;
    Span days;
};

inline Split split_minutes(std::int64_t from, std::int64_t to) {
    Split s;
    auto const hs = ceil_div(from, 60);
    auto const he = floor_div(to, 60);
    if (hs >= he) {
        s.minutes[0] = {from, to};
        return s;
    }
    s.minutes = {Span{from, hs * 60}, Span{he * 60, to}};
    auto const ds = ceil_div(hs, 24);
    auto const de = floor_div(he, 24);
    if (ds >= de) {
        s.hours[0] = {hs, he};
        return s;
    }
    s.hours = {Span{hs, ds * 24}, Span{de * 24, he}};
    s.days = {ds, de};
    return s;
}

}  // namespace portwatch::store::sqlite_detail
