// The outbox dispatcher at work: its queues and destinations, from add() to each outcome.

#include "notify/outbox.hpp"

#include <algorithm>
#include <deque>
#include <queue>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "notify/outbox_impl.hpp"
#include "notify/outbox_queues.hpp"
#include "util/log.hpp"

namespace portwatch::notify {

namespace log = util::log;
using detail::Destination;
using detail::Item;
using detail::MinHeap;
using detail::Queue;
using detail::to_where;
using Steady = std::chrono::steady_clock::time_point;
using std::chrono::seconds;

OutboxClock OutboxClock::system() {
    return OutboxClock{[] { return std::chrono::steady_clock::now(); },
                       [] { return util::Clock::now(); }};
}

namespace {

/// How long a cancelled delivery waits before it is tried again (daemon).
constexpr auto cancelled_wait = seconds(1);

std::string seconds_text(seconds s) {
    return fmt::format("{} s", s.count());
}

}  // namespace

std::size_t Outbox::Impl::destination(std::string const& name) {
    auto [it, fresh] = dest_of.try_emplace(name, dests.size());
    if (fresh) {
        dests.push_back(Destination{.name = name});
    }
    return it->second;
}

std::size_t Outbox::Impl::queue(store::OutboxEntry const& e) {
    std::string id = e.event.key;
    id.push_back('\0');
    id += e.destination;
    auto [it, fresh] = queue_of.try_emplace(std::move(id), queues.size());
    if (fresh) {
        queues.push_back(Queue{.dest = destination(e.destination)});
    }
    return it->second;
}

void Outbox::Impl::enter_ring(std::size_t d) {
    if (!dests[d].in_ring) {
        dests[d].in_ring = true;
        ring.push_back(d);
    }
}

/// Puts a queue whose head is not in flight where its head belongs now.
void Outbox::Impl::place(std::size_t qi, Steady now) {
    Queue& q = queues[qi];
    while (!q.items.empty() && !q.in_flight && !q.placed && !q.next_run) {
        Item& head = q.items.front();
        ++stats.examined;
        if (auto const blocking = std::max(head.seq, q.hold); blocking > durable_upto) {
            parked.emplace(blocking, qi);
            q.parked = true;
        } else if (head.due > now) {
            due_heap.emplace(head.due, qi);
        } else if (give_up_if_expired(q, now)) {
            continue;
        } else {
            dests[q.dest].ready.push_back(qi);
            enter_ring(q.dest);
        }
        q.placed = true;
    }
}

bool Outbox::Impl::give_up_if_expired(Queue& q, Steady now) {
    Item& head = q.items.front();
    auto const age = std::chrono::floor<seconds>(now - head.age_origin);
    if (!expired(age, head.entry.attempts, options.retry)) {
        return false;
    }
    log::error("NOTIFY dropped{} after {} attempts, older than {} days: {} ({})",
               to_where(head.entry.destination), head.entry.attempts,
               options.retry.max_age.count() / 86400, head.entry.message, head.entry.last_error);
    ++stats.expired;
    changes.push_back(OutboxChange{OutboxChange::Kind::expired, std::move(head.entry), {}});
    q.items.pop_front();
    --held;
    --dests[q.dest].held;
    return true;
}

void Outbox::Impl::coalesce(std::size_t qi) {
    Queue& q = queues[qi];
    Destination& d = dests[q.dest];
    if (options.max_per_destination == 0 || d.held <= options.max_per_destination ||
        q.items.size() <= 2) {
        return;
    }
    // Only the head is ever placed or in flight: those after it are the queue's alone.
    auto const first = q.items.begin() + 1;
    auto const last = q.items.end() - 1;
    auto const n = static_cast<std::size_t>(last - first);
    std::string const oldest = first->entry.message;
    for (auto it = first; it != last; ++it) {
        changes.push_back(OutboxChange{OutboxChange::Kind::coalesced, std::move(it->entry), {}});
    }
    q.items.erase(first, last);
    held -= n;
    d.held -= n;
    stats.coalesced += n;
    auto const before = d.coalesced;
    d.coalesced += n;
    // Loud, but not a line per entry: the first time, then at each power of ten.
    auto power = std::uint64_t{1};
    while (power <= before) {
        power *= 10;
    }
    if (before == 0 || d.coalesced >= power) {
        log::error(
            "NOTIFY{}: more than {} messages pending: dropped {} older message(s) of {} "
            "(from: {}), keeping its oldest and its newest; {} dropped so far",
            to_where(d.name), options.max_per_destination, n, q.items.front().entry.event.key,
            oldest, d.coalesced);
    }
}

void Outbox::Impl::release_unconfirmed(Sequence upto) {
    for (std::size_t d = 0; d < dests.size(); ++d) {
        auto& u = dests[d].unconfirmed;
        bool freed = false;
        while (!u.empty() && u.front() <= upto) {
            u.pop_front();
            freed = true;
        }
        if (freed && !dests[d].ready.empty()) {
            enter_ring(d);
        }
    }
}

bool Outbox::Impl::available(Destination& d, Steady now) const {
    return d.notifier != nullptr && !d.tripped && d.paused_until <= now &&
           (d.settings.grouped || d.settings.concurrency == 0 ||
            d.in_flight + d.unconfirmed.size() < d.settings.concurrency);
}

/// Starts what is due, then reports the changes gathered so far. The caller's callback
/// runs last, when no reference into our tables is held (it may add entries).
void Outbox::Impl::pump() {
    if (pumping) {
        repump = true;
        return;
    }
    pumping = true;
    do {
        repump = false;
        pump_once();
        while (!changes.empty()) {
            auto batch = std::move(changes);
            changes.clear();
            for (auto const& c : batch) {
                on_change(c);
            }
        }
    } while (repump);
    pumping = false;
}

void Outbox::Impl::pump_once() {
    auto const now = clock.steady();
    while (!due_heap.empty() && due_heap.top().first <= now) {
        auto const qi = due_heap.top().second;
        due_heap.pop();
        queues[qi].placed = false;
        place(qi, now);
    }
    while (!dest_wake.empty() && dest_wake.top().first <= now) {
        auto const d = dest_wake.top().second;
        dest_wake.pop();
        if (!dests[d].ready.empty()) {
            enter_ring(d);
        }
    }
    if (stopped) {
        return;
    }
    // Grouped destinations take everything due past the global cap (their notifier bounds
    // it); the others take one slot each in turn, and wait in the ring when none is free.
    auto const cap = std::max<std::size_t>(1, options.concurrency);
    std::size_t idle = 0;  // destinations looked at in a row without a start
    while (!ring.empty() && idle < ring.size()) {
        auto const d = ring.front();
        ring.pop_front();
        Destination& dest = dests[d];
        dest.in_ring = false;
        if (dest.ready.empty()) {
            continue;
        }
        if (!dest.settings.grouped && total_in_flight - grouped_in_flight >= cap) {
            enter_ring(d);
            ++idle;
            continue;
        }
        if (!available(dest, now)) {
            // Back in the ring when it frees a slot, wakes or gets a notifier.
            if (dest.notifier == nullptr && !dest.said_missing) {
                dest.said_missing = true;
                log::error("NOTIFY no notifier named '{}': its messages wait", dest.name);
            }
            continue;
        }
        do {
            auto const qi = dest.ready.front();
            dest.ready.pop_front();
            start(qi);
        } while (dest.settings.grouped && !dest.ready.empty() && available(dest, now));
        idle = 0;
        if (!dest.ready.empty()) {
            enter_ring(d);
        }
    }
}

void Outbox::Impl::start(std::size_t qi) {
    Queue& q = queues[qi];
    Destination& dest = dests[q.dest];
    q.placed = false;
    q.in_flight = true;
    q.grouped_flight = dest.settings.grouped;
    ++dest.in_flight;
    ++total_in_flight;
    grouped_in_flight += q.grouped_flight ? 1 : 0;
    ++stats.started;
    Item const& head = q.items.front();
    Notification const n{head.entry.event, head.entry.message};
    std::weak_ptr<Impl> weak = weak_from_this();
    dest.notifier->deliver(n, dest.settings.timeout, [weak, qi](DeliveryResult r) {
        if (auto self = weak.lock()) {
            self->on_done(qi, std::move(r));
        }
    });
}

void Outbox::Impl::on_done(std::size_t qi, DeliveryResult r) {
    auto const now = clock.steady();
    Queue& q = queues[qi];
    Destination& dest = dests[q.dest];
    q.in_flight = false;
    --dest.in_flight;
    --total_in_flight;
    grouped_in_flight -= std::exchange(q.grouped_flight, false) ? 1 : 0;
    Item& head = q.items.front();
    auto& e = head.entry;
    bool const check = options.mode == OutboxOptions::Mode::check;
    if (r.ok()) {
        log::info("NOTIFY sent{}: {}{}", to_where(e.destination), e.message,
                  r.detail.empty() ? std::string() : " [" + r.detail + "]");
        dest.timeouts = 0;
        ++stats.delivered;
        // daemon: the next entry of this queue waits for the deletion to be committed.
        q.hold = check ? 0 : next_seq++;
        if (!check) {
            dest.unconfirmed.push_back(q.hold);
        }
        changes.push_back(
            OutboxChange{OutboxChange::Kind::delivered, std::move(e), std::move(r), q.hold});
        q.items.pop_front();
        --held;
        --dest.held;
    } else if (r.error == DeliveryCondition::cancelled) {
        // Not a failure: the same entry goes again when its destination can run it.
        ++stats.cancelled;
        head.due = now + cancelled_wait;
        q.next_run = check;
    } else if (r.error == DeliveryCondition::permanent) {
        e.attempts += 1;
        e.last_error = r.detail;
        // check keeps the entry in its state; the daemon removes it from the outbox and shows
        // it in its metrics and API (driver/daemon_outbox.cpp).
        log::error("NOTIFY REJECTED for good{} (attempt {}; not retried, {}): {}: {}",
                   to_where(e.destination), e.attempts, check ? "kept" : "removed", e.message,
                   r.detail);
        dest.timeouts = 0;
        ++stats.permanent;
        changes.push_back(OutboxChange{OutboxChange::Kind::permanent, std::move(e), std::move(r)});
        q.items.pop_front();
        --held;
        --dest.held;
    } else {
        e.attempts += 1;
        e.last_error = r.detail;
        auto const delay = retry_delay(e.attempts, r.retry_after, options.retry);
        e.next_attempt = clock.wall() + delay;
        head.due = now + delay;
        q.next_run = check;
        ++stats.failed;
        if (check) {
            log::error("NOTIFY failed{} (attempt {}, kept for the next run): {}: {}",
                       to_where(e.destination), e.attempts, e.message, r.detail);
        } else {
            log::error("NOTIFY failed{} (attempt {}, retried in {}): {}: {}",
                       to_where(e.destination), e.attempts, seconds_text(delay), e.message,
                       r.detail);
        }
        changes.push_back(OutboxChange{OutboxChange::Kind::failed, e, r});
        count_timeout(dest, r.error == DeliveryCondition::timeout, now);
    }
    place(qi, now);
    if (!dest.ready.empty()) {
        enter_ring(q.dest);
    }
    pump();
}

/// The breaker: N timeouts in a row on one destination make it wait.
void Outbox::Impl::count_timeout(Destination& dest, bool timeout, Steady now) {
    if (!timeout) {
        dest.timeouts = 0;
        return;
    }
    if (options.breaker_timeouts <= 0 || ++dest.timeouts < options.breaker_timeouts) {
        return;
    }
    dest.timeouts = 0;
    if (options.mode == OutboxOptions::Mode::check) {
        dest.tripped = true;
        log::error(
            "NOTIFY{}: {} deliveries in a row timed out; the remaining events wait "
            "for the next run",
            to_where(dest.name), options.breaker_timeouts);
    } else {
        dest.paused_until = now + options.breaker_pause;
        dest_wake.emplace(dest.paused_until, dest_of.at(dest.name));
        log::error("NOTIFY{}: {} deliveries in a row timed out; pausing it for {}",
                   to_where(dest.name), options.breaker_timeouts,
                   seconds_text(options.breaker_pause));
    }
}

Outbox::Outbox(OutboxOptions options, OutboxClock clock, OnChange on_change)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(clock), std::move(on_change))) {}

Outbox::~Outbox() = default;

}  // namespace portwatch::notify
