#include "http/history.hpp"

namespace portwatch::http {

UptimeWindow const* find_uptime_window(std::string_view name) {
    for (auto const& w : uptime_windows) {
        if (w.name == name)
            return &w;
    }
    return nullptr;
}

CachedHistory::CachedHistory(store::HistoryReader& inner, std::function<util::TimePoint()> now,
                             std::chrono::seconds ttl, std::size_t max_entries)
    : now_(std::move(now)), inner_(inner), ttl_(ttl), max_entries_(max_entries) {}

CachedHistory::Entry* CachedHistory::find(std::string const& id, util::TimePoint now) {
    auto const it = entries_.find(id);
    if (it == entries_.end() || now - it->second.at >= ttl_ || now < it->second.at)
        return nullptr;
    return &it->second;
}

void CachedHistory::put(std::string id, Entry entry) {
    // Crude but bounded: start over when full (a full cache means that many targets anyway).
    if (entries_.size() >= max_entries_)
        entries_.clear();
    entries_.insert_or_assign(std::move(id), std::move(entry));
}

util::Result<std::optional<double>> CachedHistory::uptime(std::string const& key,
                                                          util::TimePoint from,
                                                          util::TimePoint to) {
    auto id = "u\n" + std::to_string((to - from).count()) + "\n" + key;
    auto const now = now_();
    if (auto const* e = find(id, now))
        return e->uptime;
    auto r = inner_.uptime(key, from, to);
    if (r)
        put(std::move(id), Entry{.at = now, .uptime = *r});
    return r;
}

util::Result<std::vector<store::Rollup>> CachedHistory::rollups(std::string const& key,
                                                                util::TimePoint from,
                                                                util::TimePoint to,
                                                                std::chrono::seconds bucket) {
    auto id = "r\n" + std::to_string(from.time_since_epoch().count()) + "\n" +
              std::to_string(to.time_since_epoch().count()) + "\n" +
              std::to_string(bucket.count()) + "\n" + key;
    auto const now = now_();
    if (auto const* e = find(id, now))
        return e->rollups;
    auto r = inner_.rollups(key, from, to, bucket);
    if (r)
        put(std::move(id), Entry{.at = now, .rollups = *r});
    return r;
}

util::Result<std::vector<store::Transition>> CachedHistory::transitions(std::string const& key,
                                                                        std::size_t limit) {
    return inner_.transitions(key, limit);
}

std::string history_key(http::TargetView const& t) {
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
