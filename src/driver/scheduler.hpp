#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

namespace portwatch::driver {

using SteadyTime = std::chrono::steady_clock::time_point;

/// What the scheduler reads the time from; tests pass a fake one.
class SchedulerClock {
  public:
    virtual ~SchedulerClock() = default;
    virtual SteadyTime now() const = 0;
};

/// The real monotonic clock.
class SteadySchedulerClock final : public SchedulerClock {
  public:
    SteadyTime now() const override { return std::chrono::steady_clock::now(); }
};

/// When each target runs: every `interval`, at a phase inside the interval derived from its
/// key (deterministic jitter: no thundering herd at startup or after a reload, and the same
/// spread on every run), on a fixed grid (the next run follows the schedule, not the end of
/// the check, so nothing drifts). A target still running (or still waiting for a slot) when
/// its next turn comes skips that turn; at most `max_in_flight` run at once, the others wait
/// in order. Pure bookkeeping: no I/O, no timers; the driver sleeps until next_wakeup().
///
/// With a `batch` window, a wakeup also takes the turns planned within the next `batch`
/// (started up to that much early, never late): 10,000 targets every 10 s are then 1,000 / s
/// in at most 1 / batch wakeups a second instead of one wakeup per check, which was a third
/// of the daemon's CPU (a sleep and a wakeup per probe).
class Scheduler {
  public:
    struct Due {
        std::size_t id;
        SteadyTime planned;  ///< when it should have started (lateness = start - planned)
    };

    Scheduler(SchedulerClock const& clock, std::size_t max_in_flight,
              std::chrono::nanoseconds batch = std::chrono::nanoseconds(0));

    /// Adds target `id`, or changes its interval (an unchanged interval keeps its schedule).
    void set(std::size_t id, std::string_view key, std::chrono::milliseconds interval);
    /// Forgets target `id`; a run in flight still reports done() (which is then ignored).
    void remove(std::size_t id);
    /// Changes the in-flight cap (a reload).
    void set_max_in_flight(std::size_t n) { max_in_flight_ = n == 0 ? 1 : n; }

    /// Appends to `out` the targets to start now, and counts them as in flight.
    void take_due(std::vector<Due>& out);
    /// A run of `id` finished.
    void done(std::size_t id);

    /// When take_due() has work next; empty when nothing is scheduled.
    std::optional<SteadyTime> next_wakeup() const;

    std::size_t in_flight() const { return in_flight_; }
    std::size_t size() const { return active_; }
    /// Turns skipped because the previous run of the same target had not finished.
    std::uint64_t skipped() const { return skipped_; }

    /// The phase of `key` within `interval` (exposed for tests).
    static std::chrono::nanoseconds phase(std::string_view key, std::chrono::nanoseconds interval);

  private:
    struct Entry {
        std::chrono::nanoseconds interval{0};
        SteadyTime next{};
        std::uint32_t generation = 0;
        bool active = false;
        bool running = false;  ///< started and not done
        bool queued = false;   ///< due and waiting for an in-flight slot
    };
    struct HeapItem {
        SteadyTime time;
        std::size_t id;
        std::uint32_t generation;
        bool operator>(HeapItem const& o) const { return time > o.time; }
    };

    SteadyTime first_slot(std::string_view key, std::chrono::nanoseconds interval,
                          SteadyTime now) const;
    void push(std::size_t id);

    SchedulerClock const& clock_;
    std::size_t max_in_flight_;
    std::chrono::nanoseconds batch_;
    std::vector<Entry> entries_;
    std::vector<HeapItem> heap_;  ///< min-heap by time; stale generations skipped lazily
    std::deque<HeapItem> ready_;  ///< due, waiting for the in-flight cap
    std::size_t in_flight_ = 0;
    std::size_t active_ = 0;
    std::uint64_t skipped_ = 0;
};

}  // namespace portwatch::driver
