#include "driver/delivery.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "util/atomic_file.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

util::TimePoint next_attempt_after(int attempts, util::TimePoint now, RetryPolicy const& policy) {
    auto delay = policy.base;
    for (int i = 1; i < attempts && delay < policy.max; ++i) {
        delay *= 2;
    }
    return now + std::min(delay, policy.max);
}

bool is_expired(store::OutboxEntry const& entry, util::TimePoint now, RetryPolicy const& policy) {
    return now - entry.event.time > policy.max_age;
}

namespace {

/// One delivery run over a copy of the outbox; `removed` marks what left it.
class Run {
  public:
    Run(boost::asio::io_context& io, notify::Notifier& notifier, store::State& state,
        CommitFn const& commit, DeliveryOptions const& options, ClockFn const& clock)
        : notifier_(notifier),
          state_(state),
          commit_(commit),
          options_(options),
          clock_(clock),
          entries_(state.outbox),
          removed_(entries_.size(), false),
          timer_(io) {}

    void start() {
        auto const now = clock_();
        std::map<std::string, std::deque<std::size_t>> by_key;
        std::vector<std::string> key_order;
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            auto const& e = entries_[i];
            if (is_expired(e, now, options_.retry)) {
                util::log::error("NOTIFY dropped after {} attempts, older than {} days: {} ({})",
                                 e.attempts, options_.retry.max_age.count() / 86400, e.message,
                                 e.last_error);
                removed_[i] = true;
                dirty_ = true;
                ++stats_.dropped;
                continue;
            }
            auto& q = by_key[e.event.key];
            if (q.empty()) {
                key_order.push_back(e.event.key);
            }
            q.push_back(i);
        }
        for (auto const& key : key_order) {
            auto& q = by_key[key];
            if (entries_[q.front()].next_attempt > now) {
                stats_.deferred += q.size();  // backoff holds the head, and order holds the rest
                continue;
            }
            queues_.push_back(std::move(q));
        }
        pump();
    }

    void finish() {
        stats_.deferred += remaining_queued();
        flush(true);
    }

    DeliveryStats const& stats() const { return stats_; }

  private:
    std::size_t remaining_queued() const {
        std::size_t n = 0;
        for (std::size_t k = next_queue_; k < queues_.size(); ++k)
            n += queues_[k].size();
        return n;
    }

    void pump() {
        while (!tripped_ && in_flight_ < std::max<std::size_t>(1, options_.concurrency) &&
               next_queue_ < queues_.size()) {
            std::size_t const q = next_queue_++;
            deliver_head(q);
        }
    }

    void deliver_head(std::size_t q) {
        std::size_t const index = queues_[q].front();
        queues_[q].pop_front();
        ++in_flight_;
        auto const& e = entries_[index];
        notify::Notification const n{e.event, e.message};
        notifier_.deliver(n, options_.timeout, [this, q, index](notify::DeliveryResult r) {
            on_delivered(q, index, r);
        });
    }

    void on_delivered(std::size_t q, std::size_t index, notify::DeliveryResult const& r) {
        util::fault_point("after-notify");  // test hook: the notifier ran, progress not saved
        --in_flight_;
        auto& e = entries_[index];
        if (r.ok) {
            util::log::info("NOTIFY sent: {} [{}]", e.message, r.detail);
            removed_[index] = true;
            ++stats_.delivered;
            consecutive_timeouts_ = 0;
            if (!queues_[q].empty()) {
                // The next event of this target may go now that its predecessor went.
                std::deque<std::size_t> rest = std::move(queues_[q]);
                queues_[q].clear();
                queues_.push_back(std::move(rest));
            }
        } else {
            e.attempts += 1;
            e.last_error = r.detail;
            e.next_attempt = next_attempt_after(e.attempts, clock_(), options_.retry);
            ++stats_.failed;
            stats_.deferred += queues_[q].size();
            queues_[q].clear();
            util::log::error("NOTIFY failed (attempt {}, kept for the next run): {}: {}",
                             e.attempts, e.message, r.detail);
            if (r.detail.find("timed out") != std::string::npos) {
                if (++consecutive_timeouts_ >= options_.breaker_timeouts && !tripped_) {
                    tripped_ = true;
                    util::log::error(
                        "NOTIFY {} deliveries in a row timed out; the remaining "
                        "events wait for the next run",
                        consecutive_timeouts_);
                }
            } else {
                consecutive_timeouts_ = 0;
            }
        }
        dirty_ = true;
        flush(false);
        pump();
        maybe_done();
    }

    /// Commits progress, coalesced: not before `gap_` after the previous commit ended, where
    /// the gap grows with the cost of a commit (10x its duration), so a big state file is
    /// rewritten less often and saving never dominates delivery. A deferred commit is armed
    /// on a timer, so progress reaches the disk even while a slow notifier runs.
    void flush(bool final) {
        if (!dirty_) {
            return;
        }
        auto const now = std::chrono::steady_clock::now();
        if (!final && now < last_flush_ + gap_) {
            if (!timer_armed_) {
                timer_armed_ = true;
                timer_.expires_at(last_flush_ + gap_);
                timer_.async_wait([this](boost::system::error_code const& ec) {
                    timer_armed_ = false;
                    if (!ec) {
                        flush(true);
                    }
                });
            }
            return;
        }
        state_.outbox.clear();
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            if (!removed_[i]) {
                state_.outbox.push_back(entries_[i]);
            }
        }
        if (auto r = commit_(state_); !r) {
            stats_.store_failed = true;
            util::log::error("cannot save delivery progress: {}", r.error().message);
        }
        dirty_ = false;
        last_flush_ = std::chrono::steady_clock::now();
        gap_ = std::max<std::chrono::steady_clock::duration>(options_.flush_interval,
                                                             10 * (last_flush_ - now));
    }

    /// Once nothing is in flight or left to start, the run is over: save now, stop waiting.
    void maybe_done() {
        if (in_flight_ == 0 && (tripped_ || next_queue_ >= queues_.size())) {
            flush(true);
            if (timer_armed_) {
                timer_.cancel();
            }
        }
    }

    notify::Notifier& notifier_;
    store::State& state_;
    CommitFn const& commit_;
    DeliveryOptions const& options_;
    ClockFn const& clock_;
    std::vector<store::OutboxEntry> entries_;
    std::vector<bool> removed_;
    std::vector<std::deque<std::size_t>> queues_;
    std::size_t next_queue_ = 0;
    std::size_t in_flight_ = 0;
    int consecutive_timeouts_ = 0;
    bool tripped_ = false;
    bool dirty_ = false;
    std::chrono::steady_clock::time_point last_flush_{};
    std::chrono::steady_clock::duration gap_{};
    boost::asio::steady_timer timer_;
    bool timer_armed_ = false;
    DeliveryStats stats_;
};

}  // namespace

DeliveryStats deliver_outbox(boost::asio::io_context& io, notify::Notifier& notifier,
                             store::State& state, CommitFn const& commit,
                             DeliveryOptions const& options, ClockFn const& clock) {
    Run run(io, notifier, state, commit, options, clock);
    run.start();
    io.restart();
    io.run();
    run.finish();
    return run.stats();
}

}  // namespace portwatch::driver
