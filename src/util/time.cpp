#include "util/time.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace portwatch::util {

double to_epoch_seconds(TimePoint t) {
    auto const us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
    return static_cast<double>(us.count()) / 1e6;
}

TimePoint from_epoch_seconds(double s) {
    // A hand-edited file may hold any number: keep it where microseconds are exact in a
    // double (|s| < 2^53 us, about year 2255), so no conversion overflows.
    constexpr double limit = 9e9;
    s = std::isnan(s) ? 0.0 : std::clamp(s, -limit, limit);
    return TimePoint(
        std::chrono::microseconds(static_cast<std::int64_t>(s * 1e6 + (s >= 0 ? 0.5 : -0.5))));
}

namespace {
std::tm local_tm(TimePoint t) {
    std::time_t const tt = Clock::to_time_t(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    return tm;
}
}  // namespace

std::string format_seed_time(TimePoint t) {
    std::tm const tm = local_tm(t);
    return fmt::format("{:04}.{:02}.{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string format_iso_local(TimePoint t) {
    std::tm const tm = local_tm(t);
    auto const ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    long const off = tm.tm_gmtoff / 60;
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}{:02}{:02}", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms,
                       off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
                       (off < 0 ? -off : off) % 60);
}

std::string format_log_time(TimePoint t) {
    std::tm const tm = local_tm(t);
    auto const ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace portwatch::util
