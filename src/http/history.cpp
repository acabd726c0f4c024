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

namespace {

/// The whole UTC days (status_days of them, today last) and hours (status_hours, this hour
/// last) the status page draws.
struct StatusRanges {
    util::TimePoint day_from, day_end, hour_from, hour_end;
};

StatusRanges status_ranges(util::TimePoint now) {
    using std::chrono::hours;
    auto const day = std::chrono::duration_cast<std::chrono::seconds>(hours(24));
    auto const hour = std::chrono::duration_cast<std::chrono::seconds>(hours(1));
    StatusRanges r;
    r.day_end = std::chrono::floor<hours>(now - now.time_since_epoch() % day) + day;
    r.day_from = r.day_end - status_days * day;
    r.hour_end = std::chrono::floor<hours>(now) + hour;
    r.hour_from = r.hour_end - status_hours * hour;
    return r;
}

double uptime_of(store::Rollup const& x) {
    return 1.0 - static_cast<double>(x.failures) / static_cast<double>(x.checks);
}

double latency_of(store::Rollup const& x) {
    return x.latency_avg_ms;
}

}  // namespace

HistorySummary read_history_summary(store::HistoryReader& reader, http::Snapshot const& snap,
                                    util::TimePoint now) {
    HistorySummary out{.at = now, .targets = snap.targets.size()};
    std::vector<std::string> keys;
    keys.reserve(snap.targets.size());
    for (auto const& t : snap.targets)
        keys.push_back(history_key(t));
    auto const r = status_ranges(now);
    auto const day = std::chrono::seconds(24 * 3600);
    auto const hour = std::chrono::seconds(3600);
    auto days = reader.rollups_many(keys, r.day_from, r.day_end, day);
    auto hours = days ? reader.rollups_many(keys, r.hour_from, r.hour_end, hour) : days;
    if (!days || !hours) {
        out.error = (!days ? days : hours).error().message;
        return out;
    }
    for (auto const& key : keys) {
        auto& h = out.status[key];
        auto const d = days->find(key);
        h.days = spread_rollups(d == days->end() ? std::vector<store::Rollup>{} : d->second,
                                r.day_from, day, status_days, uptime_of);
        auto const l = hours->find(key);
        h.latency_ms = spread_rollups(l == hours->end() ? std::vector<store::Rollup>{} : l->second,
                                      r.hour_from, hour, status_hours, latency_of);
    }
    for (std::size_t i = 0; i < uptime_windows.size(); ++i) {
        auto up = reader.uptime_many(keys, now - uptime_windows[i].length, now);
        if (!up) {
            out = HistorySummary{.at = now, .targets = snap.targets.size()};
            out.error = up.error().message;
            return out;
        }
        for (auto& [key, v] : *up)
            out.uptime[key][i] = v;
    }
    return out;
}

HistoryWorker::HistoryWorker(store::HistoryReader& reader, std::function<util::TimePoint()> now,
                             std::chrono::seconds ttl)
    : own_(reader.another()),
      reader_(own_ ? *own_ : reader),
      now_(std::move(now)),
      ttl_(ttl),
      thread_([this] { loop(); }) {}

HistoryWorker::~HistoryWorker() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

std::shared_ptr<HistorySummary const> HistoryWorker::latest(SnapshotPtr const& snap) {
    std::lock_guard lock(mutex_);
    auto const now = now_();
    bool const stale = !latest_ || latest_->targets != snap->targets.size() ||
                       now - latest_->at >= ttl_ || now < latest_->at || !latest_->error.empty();
    if (stale && !reading_) {
        wanted_ = snap;
        cv_.notify_one();
    }
    return latest_;
}

void HistoryWorker::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [this] { return stop_ || wanted_; });
        if (stop_)
            return;
        auto snap = std::move(wanted_);
        wanted_.reset();
        reading_ = true;
        lock.unlock();
        auto summary =
            std::make_shared<HistorySummary const>(read_history_summary(reader_, *snap, now_()));
        lock.lock();
        reading_ = false;
        latest_ = std::move(summary);
    }
}

StatusHistory fetch_status_history(store::HistoryReader* reader, std::string const& key,
                                   util::TimePoint now) {
    StatusHistory h;
    if (reader == nullptr)
        return h;
    auto const r = status_ranges(now);
    auto const day = std::chrono::seconds(24 * 3600);
    auto const hour = std::chrono::seconds(3600);
    if (auto x = reader->rollups(key, r.day_from, r.day_end, day))
        h.days = spread_rollups(*x, r.day_from, day, status_days, uptime_of);
    if (auto x = reader->rollups(key, r.hour_from, r.hour_end, hour))
        h.latency_ms = spread_rollups(*x, r.hour_from, hour, status_hours, latency_of);
    return h;
}

}  // namespace portwatch::http
