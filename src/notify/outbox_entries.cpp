// The outbox's public side: destinations set, entries added, made durable or forgotten, and
// the pump; the dispatch itself is in outbox.cpp.

#include <algorithm>

#include <boost/asio/io_context.hpp>

#include "notify/outbox.hpp"
#include "notify/outbox_impl.hpp"
#include "notify/outbox_queues.hpp"

namespace portwatch::notify {

using detail::Item;
using Steady = std::chrono::steady_clock::time_point;

void Outbox::set_destination(std::string const& name, Notifier& notifier,
                             std::optional<DestinationSettings> settings) {
    auto const d = impl_->destination(name);
    impl_->dests[d].notifier = &notifier;
    impl_->dests[d].settings = settings.value_or(
        DestinationSettings{impl_->options.timeout, impl_->options.per_destination});
    impl_->dests[d].said_missing = false;
    if (!impl_->dests[d].ready.empty()) {
        impl_->enter_ring(d);
    }
}

Outbox::Sequence Outbox::add(store::OutboxEntry entry, bool durable) {
    auto& m = *impl_;
    auto const now = m.clock.steady();
    auto const wall = m.clock.wall();
    Item item;
    item.seq = durable ? 0 : m.next_seq++;
    item.age_origin = now - wall_age(entry.event.time, wall);
    // check: a message that failed once is retried by the very next run whatever its time
    // (cron already spaces runs; a fixed push_msg.py run by hand delivers at once); from the
    // second failure on, its backoff holds, as in the daemon.
    item.due = m.options.mode == OutboxOptions::Mode::check && entry.attempts <= 1
                   ? now
                   : now + bounded_wait(entry.next_attempt, wall, m.options.retry);
    auto const qi = m.queue(entry);
    item.entry = std::move(entry);
    m.queues[qi].items.push_back(std::move(item));
    ++m.held;
    ++m.dests[m.queues[qi].dest].held;
    m.place(qi, now);
    m.coalesce(qi);
    return durable ? m.durable_upto : m.next_seq - 1;
}

void Outbox::mark_durable(Sequence upto) {
    auto& m = *impl_;
    m.durable_upto = std::max(m.durable_upto, upto);
    auto const now = m.clock.steady();
    m.release_unconfirmed(m.durable_upto);
    while (!m.parked.empty() && m.parked.top().first <= m.durable_upto) {
        auto const [seq, qi] = m.parked.top();
        m.parked.pop();
        auto& q = m.queues[qi];
        if (!q.parked || q.items.empty() || std::max(q.items.front().seq, q.hold) != seq) {
            continue;  // left behind by forget()
        }
        q.parked = false;
        q.placed = false;
        m.place(qi, now);
    }
    m.pump();
}

void Outbox::forget(Sequence upto) {
    auto& m = *impl_;
    auto const now = m.clock.steady();
    auto const lost = [&](Item const& i) { return i.seq > m.durable_upto && i.seq <= upto; };
    m.release_unconfirmed(upto);  // deletions not saved hold no slot: the messages went
    // A failed commit is rare: a pass over the queues is fine here.
    for (std::size_t qi = 0; qi < m.queues.size(); ++qi) {
        auto& q = m.queues[qi];
        auto const before = q.items.size();
        std::erase_if(q.items, lost);
        // A deletion that was not saved holds nothing back: the message went; after a
        // restart it may go once more.
        bool const released = q.hold > m.durable_upto && q.hold <= upto;
        if (released) {
            q.hold = 0;
        }
        if (q.items.size() == before && !released) {
            continue;
        }
        m.held -= before - q.items.size();
        m.dests[q.dest].held -= before - q.items.size();
        if (q.parked) {
            q.parked = false;
            q.placed = false;
            m.place(qi, now);
        }
    }
    m.pump();
}

void Outbox::pump() {
    impl_->pump();
}

std::optional<std::chrono::steady_clock::time_point> Outbox::next_due() const {
    std::optional<Steady> next;
    if (!impl_->due_heap.empty()) {
        next = impl_->due_heap.top().first;
    }
    if (!impl_->dest_wake.empty() && (!next || impl_->dest_wake.top().first < *next)) {
        next = impl_->dest_wake.top().first;
    }
    return next;
}

void Outbox::stop() {
    impl_->stopped = true;
}

void drain(boost::asio::io_context& io, Outbox& outbox) {
    io.restart();
    outbox.pump();
    while (outbox.in_flight() > 0) {
        if (io.run_one() == 0) {
            break;  // nothing left that could complete them
        }
    }
}

}  // namespace portwatch::notify
