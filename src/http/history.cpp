#include "http/history.hpp"

namespace portwatch::http {

UptimeWindow const* find_uptime_window(std::string_view name) {
    for (auto const& w : uptime_windows) {
        if (w.name == name)
            return &w;
    }
    return nullptr;
}

std::string history_key(driver::TargetView const& t) {
    return t.host + ":" + std::to_string(t.port);
}

TargetHistory fetch_target_history(store::HistoryReader* reader, std::string const& key,
                                   util::TimePoint now, std::size_t transitions) {
    TargetHistory h;
    if (reader == nullptr)
        return h;
    h.available = true;
    for (std::size_t i = 0; i < uptime_windows.size(); ++i) {
        auto r = reader->uptime(key, now - uptime_windows[i].length, now);
        if (!r) {
            h.available = false;
            h.error = r.error().message;
            return h;
        }
        h.uptime[i] = *r;
    }
    if (transitions > 0) {
        auto r = reader->transitions(key, transitions);
        if (!r) {
            h.available = false;
            h.error = r.error().message;
            return h;
        }
        h.transitions = std::move(*r);
    }
    return h;
}

StatusHistory fetch_status_history(store::HistoryReader* reader, std::string const& key,
                                   util::TimePoint now) {
    using std::chrono::hours;
    StatusHistory h;
    if (reader == nullptr)
        return h;
    auto const day = std::chrono::duration_cast<std::chrono::seconds>(hours(24));
    auto const hour = std::chrono::duration_cast<std::chrono::seconds>(hours(1));
    // Whole UTC days and hours, the current one last.
    auto const day_end = std::chrono::floor<hours>(now - now.time_since_epoch() % day) + day;
    auto const day_from = day_end - status_days * day;
    if (auto r = reader->rollups(key, day_from, day_end, day)) {
        h.days = spread_rollups(*r, day_from, day, status_days, [](store::Rollup const& x) {
            return 1.0 - static_cast<double>(x.failures) / static_cast<double>(x.checks);
        });
    }
    auto const hour_end = std::chrono::floor<hours>(now) + hour;
    auto const hour_from = hour_end - status_hours * hour;
    if (auto r = reader->rollups(key, hour_from, hour_end, hour)) {
        h.latency_ms = spread_rollups(*r, hour_from, hour, status_hours,
                                      [](store::Rollup const& x) { return x.latency_avg_ms; });
    }
    return h;
}

}  // namespace portwatch::http
