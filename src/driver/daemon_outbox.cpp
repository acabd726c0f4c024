// The daemon's outbox: new entries and delivery progress join the store batch; an entry is
// handed to its notifier only once the batch that carries it is durable.
#include <unordered_set>

#include <boost/asio/post.hpp>

#include "driver/daemon_impl.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace log = util::log;

std::string outbox_id(store::OutboxEntry const& e) {
    return e.destination.empty() ? e.event.id : e.event.id + "@" + e.destination;
}

void Daemon::Impl::add_to_outbox(store::OutboxEntry entry) {
    batch.outbox_put.push_back(entry);
    auto id = outbox_id(entry);
    batch_ids.push_back(id);
    auto const seq = next_seq++;
    outbox_seq[std::move(id)] = seq;
    outbox.emplace(seq, Pending{std::move(entry)});
    publisher.mark_stale();
}

void Daemon::Impl::flush() {
    flush_wanted = false;
    if (batch.empty()) {
        return;
    }
    store::Batch b = std::move(batch);
    batch = store::Batch{};
    std::vector<std::string> ids = std::move(batch_ids);
    batch_ids.clear();
    writer->submit(std::move(b), [this, ids = std::move(ids)](bool ok) mutable {
        boost::asio::post(io, [this, ids = std::move(ids), ok] { on_committed(ids, ok); });
    });
}

void Daemon::Impl::on_committed(std::vector<std::string> const& ids, bool ok) {
    if (!ok) {
        // Never announce what is not durable: these events stay unannounced until a restart
        // reloads what did reach the disk (nothing, for this batch).
        if (!ids.empty()) {
            log::error("{} event(s) were not saved and will not be announced", ids.size());
        }
        for (auto const& id : ids) {
            if (auto it = outbox_seq.find(id); it != outbox_seq.end()) {
                outbox.erase(it->second);
                outbox_seq.erase(it);
            }
        }
        return;
    }
    for (auto const& id : ids) {
        if (auto it = outbox_seq.find(id); it != outbox_seq.end()) {
            outbox.at(it->second).committed = true;
        }
    }
    dispatch();
}

void Daemon::Impl::dispatch() {
    if (!notifier || stopping) {
        return;
    }
    auto const now = util::Clock::now();
    // One at a time per (target, destination), in event order.
    std::unordered_set<std::string> blocked;
    std::vector<std::string> expired;
    for (auto& [seq, p] : outbox) {
        if (deliveries_in_flight >= std::max<std::size_t>(1, delivery.concurrency)) {
            break;
        }
        auto const lane = p.entry.event.key + '\n' + p.entry.destination;
        if (!blocked.insert(lane).second || !p.committed || p.in_flight) {
            continue;
        }
        if (is_expired(p.entry, now, delivery.retry)) {
            log::error("NOTIFY dropped after {} attempts, older than {} days: {} ({})",
                       p.entry.attempts, delivery.retry.max_age.count() / 86400, p.entry.message,
                       p.entry.last_error);
            expired.push_back(outbox_id(p.entry));
            blocked.erase(lane);
            continue;
        }
        if (p.entry.next_attempt > now) {
            continue;
        }
        p.in_flight = true;
        ++deliveries_in_flight;
        notifier->deliver(
            notify::Notification{p.entry.event, p.entry.message}, delivery.timeout,
            [this, id = outbox_id(p.entry)](notify::DeliveryResult r) { on_delivered(id, r); });
    }
    for (auto const& id : expired) {
        batch.outbox_delete.push_back(id);
        outbox.erase(outbox_seq.at(id));
        outbox_seq.erase(id);
    }
}

void Daemon::Impl::on_delivered(std::string const& id, notify::DeliveryResult const& r) {
    --deliveries_in_flight;
    auto it = outbox_seq.find(id);
    if (it == outbox_seq.end()) {
        return;
    }
    auto& p = outbox.at(it->second);
    p.in_flight = false;
    if (r.ok) {
        log::info("NOTIFY sent: {}", p.entry.message);
        ++notifications_sent;
        batch.outbox_delete.push_back(id);
        outbox.erase(it->second);
        outbox_seq.erase(it);
        // Saved at once, not with the next periodic flush: a kill re-sends at most what was
        // in flight, never a second's worth of deliveries.
        flush();
    } else {
        ++notifications_failed;
        p.entry.attempts += 1;
        p.entry.last_error = r.detail;
        p.entry.next_attempt =
            next_attempt_after(p.entry.attempts, util::Clock::now(), delivery.retry);
        log::error("NOTIFY failed (attempt {}, retried from {}): {}: {}", p.entry.attempts,
                   util::format_log_time(p.entry.next_attempt), p.entry.message, r.detail);
        batch.outbox_put.push_back(p.entry);
        flush_wanted = true;
    }
    publisher.mark_stale();
    dispatch();
}

}  // namespace portwatch::driver
