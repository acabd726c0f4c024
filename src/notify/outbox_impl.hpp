#pragma once

// Outbox::Impl, the dispatcher's state (private to pw_notify): its workings are in outbox.cpp,
// its reports in outbox_report.cpp.

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "notify/outbox.hpp"
#include "notify/outbox_queues.hpp"

namespace portwatch::notify {

namespace detail {

inline std::string to_where(std::string const& destination) {
    return destination.empty() ? std::string() : " via " + destination;
}

}  // namespace detail

struct Outbox::Impl : std::enable_shared_from_this<Outbox::Impl> {
    using Destination = detail::Destination;
    using Item = detail::Item;
    using Queue = detail::Queue;
    template <class T>
    using MinHeap = detail::MinHeap<T>;
    using Steady = std::chrono::steady_clock::time_point;

    Impl(OutboxOptions o, OutboxClock c, OnChange f)
        : options(std::move(o)), clock(std::move(c)), on_change(std::move(f)) {}

    OutboxOptions options;
    OutboxClock clock;
    OnChange on_change;
    std::vector<Queue> queues;
    std::unordered_map<std::string, std::size_t> queue_of;  ///< key '\0' destination
    std::vector<Destination> dests;
    std::unordered_map<std::string, std::size_t> dest_of;
    MinHeap<std::pair<Steady, std::size_t>> due_heap;   ///< (due, queue) of waiting heads
    MinHeap<std::pair<Sequence, std::size_t>> parked;   ///< (seq, queue) of heads not durable
    MinHeap<std::pair<Steady, std::size_t>> dest_wake;  ///< (paused_until, destination)
    std::deque<std::size_t> ring;                       ///< destinations with ready queues
    Sequence next_seq = 1;
    Sequence durable_upto = 0;
    std::size_t total_in_flight = 0;
    std::size_t grouped_in_flight = 0;  ///< of those, to grouped destinations (past the cap)
    std::size_t held = 0;
    bool stopped = false;
    bool pumping = false;
    bool repump = false;
    std::vector<OutboxChange> changes;  ///< not yet reported
    OutboxStats stats;

    std::size_t destination(std::string const& name);
    std::size_t queue(store::OutboxEntry const& e);
    void enter_ring(std::size_t d);
    /// Puts a queue whose head is not in flight where its head belongs now.
    void place(std::size_t qi, Steady now);
    bool give_up_if_expired(Queue& q, Steady now);
    /// The cap (OutboxOptions::max_per_destination) after an entry was added to queue `qi`.
    void coalesce(std::size_t qi);
    bool available(Destination& d, Steady now) const;
    /// Frees the slots of deliveries whose deletion is now durable (or was given up).
    void release_unconfirmed(Sequence upto);
    /// Starts what is due, then reports the changes gathered so far. The caller's callback
    /// runs last, when no reference into our tables is held (it may add entries).
    void pump();
    void pump_once();
    void start(std::size_t qi);
    void on_done(std::size_t qi, DeliveryResult r);
    /// The breaker: N timeouts in a row on one destination make it wait.
    void count_timeout(Destination& dest, bool timeout, Steady now);
};

}  // namespace portwatch::notify
