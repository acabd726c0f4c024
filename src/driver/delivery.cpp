#include "driver/delivery.hpp"

#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "driver/notifier_set.hpp"
#include "notify/child_ledger.hpp"
#include "store/instance_lock.hpp"
#include "store/registry.hpp"
#include "util/fault_point.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace {

using SteadyClock = std::chrono::steady_clock;

/// Delivery progress of one run, written back into the state and committed, coalesced.
class Progress {
  public:
    Progress(boost::asio::io_context& io, store::State& state, CommitFn const& commit,
             std::chrono::milliseconds flush_interval)
        : state_(state),
          commit_(commit),
          flush_interval_(flush_interval),
          entries_(std::move(state.outbox)),
          removed_(entries_.size(), false),
          timer_(io) {
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            index_.emplace(entries_[i].id(), i);
        }
        state_.outbox = entries_;
    }

    std::vector<store::OutboxEntry> const& entries() const { return entries_; }
    bool store_failed() const { return store_failed_; }

    void on_change(notify::OutboxChange const& change) {
        auto const it = index_.find(change.entry.id());
        if (it == index_.end()) {
            return;
        }
        if (change.kind == notify::OutboxChange::Kind::delivered) {
            util::fault_point("after-notify");  // test hook: the notifier ran, progress not saved
        }
        if (change.kind == notify::OutboxChange::Kind::delivered ||
            change.kind == notify::OutboxChange::Kind::expired) {
            removed_[it->second] = true;
        } else {
            entries_[it->second] = change.entry;
        }
        dirty_ = true;
        flush(false);
    }

    /// Commits now when `final`, else once the gap since the last commit has passed (a timer
    /// makes sure progress reaches the disk even while a slow notifier runs).
    void flush(bool final) {
        if (!dirty_) {
            return;
        }
        auto const now = SteadyClock::now();
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
            store_failed_ = true;
            util::log::error("cannot save delivery progress: {}", r.error().message);
        }
        dirty_ = false;
        last_flush_ = SteadyClock::now();
        gap_ = std::max<SteadyClock::duration>(flush_interval_, 10 * (last_flush_ - now));
    }

    void finish() {
        if (timer_armed_) {
            timer_.cancel();
        }
        flush(true);
    }

  private:
    store::State& state_;
    CommitFn const& commit_;
    std::chrono::milliseconds flush_interval_;
    std::vector<store::OutboxEntry> entries_;
    std::vector<bool> removed_;
    std::map<store::OutboxId, std::size_t> index_;
    boost::asio::steady_timer timer_;
    bool timer_armed_ = false;
    bool dirty_ = false;
    bool store_failed_ = false;
    SteadyClock::time_point last_flush_{};
    SteadyClock::duration gap_{};
};

}  // namespace

DeliveryStats deliver_outbox(boost::asio::io_context& io, NotifierSet& notifiers,
                             std::vector<config::NotifierSpec> const& specs, store::State& state,
                             CommitFn const& commit, notify::OutboxOptions options,
                             notify::OutboxClock clock, std::chrono::milliseconds flush_interval) {
    Progress progress(io, state, commit, flush_interval);
    options.mode = notify::OutboxOptions::Mode::check;
    notify::Outbox outbox(options, std::move(clock),
                          [&progress](notify::OutboxChange const& c) { progress.on_change(c); });
    notifiers.attach(outbox, specs);
    for (auto const& entry : progress.entries()) {
        outbox.add(entry);
    }
    outbox.pump();
    io.restart();
    notify::drain(io, outbox);
    progress.finish();
    outbox.log_pending();

    auto const& s = outbox.stats();
    DeliveryStats stats{.delivered = s.delivered,
                        .failed = s.failed + s.permanent,
                        .dropped = s.expired,
                        .store_failed = progress.store_failed()};
    auto const pending = outbox.pending();
    stats.deferred = pending > stats.failed ? pending - stats.failed : 0;
    return stats;
}

std::size_t drop_oldest_beyond(std::vector<store::OutboxEntry>& outbox, std::size_t limit) {
    if (outbox.size() <= limit) {
        return 0;
    }
    auto const dropped = outbox.size() - limit;
    util::log::error(
        "{} undelivered notifications, more than the limit of {}: dropped the {} oldest "
        "(the first: {}); raise --max-pending to keep more",
        outbox.size(), limit, dropped, outbox.front().message);
    outbox.erase(outbox.begin(), outbox.begin() + static_cast<std::ptrdiff_t>(dropped));
    return dropped;
}

void stop_leftover_notifiers(std::string const& store_url) {
    auto const url = store::parse_store_url(store_url);
    if (!url) {
        return;
    }
    auto const found =
        notify::adopt_child_ledger(store::instance_lock_file(url->path), std::chrono::seconds(5));
    if (found.killed > 0) {
        util::log::warn(
            "stopped {} notifier process group(s) an earlier run left running; what they were "
            "sending is still pending and is sent again, in order",
            found.killed);
    }
    if (found.still_running > 0) {
        util::log::warn("{} of them did not exit within 5 s", found.still_running);
    }
}

}  // namespace portwatch::driver
