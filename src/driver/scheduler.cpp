#include "driver/scheduler.hpp"

#include <algorithm>
#include <functional>

namespace portwatch::driver {

namespace {

/// FNV-1a: stable across runs and builds, unlike std::hash.
std::uint64_t stable_hash(std::string_view s) {
    std::uint64_t h = 14695981039346656037ULL;
    for (char const c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

}  // namespace

Scheduler::Scheduler(SchedulerClock const& clock, std::size_t max_in_flight,
                     std::chrono::nanoseconds batch)
    : clock_(clock),
      max_in_flight_(std::max<std::size_t>(1, max_in_flight)),
      batch_(std::max(std::chrono::nanoseconds(0), batch)) {}

std::chrono::nanoseconds Scheduler::phase(std::string_view key, std::chrono::nanoseconds interval) {
    auto const n = static_cast<std::uint64_t>(std::max<std::int64_t>(1, interval.count()));
    return std::chrono::nanoseconds(static_cast<std::int64_t>(stable_hash(key) % n));
}

SteadyTime Scheduler::first_slot(std::string_view key, std::chrono::nanoseconds interval,
                                 SteadyTime now) const {
    // The grid: epoch + phase + k * interval; the first point at or after now.
    auto const since = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
    auto const ph = phase(key, interval);
    auto const pos = since.count() % interval.count();
    auto wait = ph.count() - pos;
    if (wait < 0) {
        wait += interval.count();
    }
    return now + std::chrono::nanoseconds(wait);
}

void Scheduler::push(std::size_t id) {
    auto const& e = entries_[id];
    heap_.push_back(HeapItem{e.next, id, e.generation});
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
}

void Scheduler::set(std::size_t id, std::string_view key, std::chrono::milliseconds interval) {
    auto const ns = std::max<std::chrono::nanoseconds>(std::chrono::milliseconds(1), interval);
    if (id >= entries_.size()) {
        entries_.resize(id + 1);
    }
    auto& e = entries_[id];
    if (e.active && e.interval == ns) {
        return;
    }
    if (!e.active) {
        ++active_;
        e.running = false;
        e.queued = false;
    }
    e.active = true;
    e.interval = ns;
    ++e.generation;
    e.queued = false;  // a turn waiting under the old schedule is dropped
    e.next = first_slot(key, ns, clock_.now());
    push(id);
}

void Scheduler::remove(std::size_t id) {
    if (id >= entries_.size() || !entries_[id].active) {
        return;
    }
    auto& e = entries_[id];
    e.active = false;
    ++e.generation;
    --active_;
    if (e.running) {
        e.running = false;
        --in_flight_;  // its late done() is ignored
    }
    e.queued = false;
}

void Scheduler::take_due(std::vector<Due>& out) {
    auto const now = clock_.now();
    // 1. Move every due turn (and those due within the batch window) to the ready queue, and
    //    plan the next turn on the grid.
    auto const due = [&](HeapItem const& h) {
        // Early only where the window is small against the interval (at most a tenth).
        return h.time <= now || (h.time <= now + batch_ && entries_[h.id].interval >= 10 * batch_);
    };
    while (!heap_.empty() && due(heap_.front())) {
        std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
        HeapItem const item = heap_.back();
        heap_.pop_back();
        auto& e = entries_[item.id];
        if (!e.active || e.generation != item.generation) {
            continue;
        }
        if (e.running || e.queued) {
            ++skipped_;  // never two runs of one target at once
        } else {
            e.queued = true;
            ready_.push_back(item);
        }
        e.next = item.time + e.interval;
        if (e.next <= now) {
            // Far behind (a stalled loop): skip the missed turns rather than bursting.
            auto const behind = (now - e.next) / e.interval + 1;
            skipped_ += static_cast<std::uint64_t>(behind);
            e.next += behind * e.interval;
        }
        push(item.id);
    }
    // 2. Start what the in-flight cap allows, oldest turn first.
    while (in_flight_ < max_in_flight_ && !ready_.empty()) {
        HeapItem const d = ready_.front();
        ready_.pop_front();
        auto& e = entries_[d.id];
        if (!e.active || !e.queued || e.generation != d.generation) {
            continue;  // removed or rescheduled while waiting
        }
        e.queued = false;
        e.running = true;
        ++in_flight_;
        out.push_back(Due{d.id, d.time});
    }
}

void Scheduler::done(std::size_t id) {
    if (id < entries_.size() && entries_[id].running) {
        entries_[id].running = false;
        --in_flight_;
    }
}

std::optional<SteadyTime> Scheduler::next_wakeup() const {
    if (!ready_.empty() && in_flight_ < max_in_flight_) {
        return clock_.now();
    }
    if (heap_.empty()) {
        return std::nullopt;
    }
    return heap_.front().time;
}

}  // namespace portwatch::driver
