#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include "notify/notifier.hpp"
#include "notify/outbox_settings.hpp"
#include "store/store.hpp"

namespace portwatch::notify::detail {

// The outbox's bookkeeping (outbox.cpp): entries in queues per (key, destination), queues
// per destination.

using SteadyTime = std::chrono::steady_clock::time_point;

/// One entry and when it may go.
struct Item {
    store::OutboxEntry entry;
    std::uint64_t seq = 0;
    SteadyTime age_origin{};  ///< steady time at which the event's age was 0
    SteadyTime due{};
};

/// The entries of one (key, destination), in order; only the head is ever looked at.
struct Queue {
    std::deque<Item> items;
    std::size_t dest = 0;
    bool in_flight = false;
    bool grouped_flight = false;  ///< in flight past the global cap (a grouped destination)
    bool placed = false;    ///< in the due heap, the parked heap or its destination's ready list
    bool parked = false;    ///< its head waits for its commit (in the parked heap)
    bool next_run = false;  ///< check: its head failed, it waits for the next run
    /// daemon: the sequence of the last delivery's deletion; nothing more goes until that is
    /// durable (see OutboxChange::seq).
    std::uint64_t hold = 0;
};

/// One notifier and the queues whose head waits for it.
struct Destination {
    std::string name;
    Notifier* notifier = nullptr;
    DestinationSettings settings;
    std::deque<std::size_t> ready;  ///< queues whose head is due, in the order they got due
    std::size_t in_flight = 0;
    /// daemon: sequences of deliveries whose deletion is not committed yet. They hold their
    /// slot of `concurrency` until it is, so a kill re-sends at most `concurrency` messages
    /// per destination (issue 17 item 7).
    std::deque<std::uint64_t> unconfirmed;
    int timeouts = 0;  ///< in a row
    bool tripped = false;
    SteadyTime paused_until{};
    bool in_ring = false;
    bool said_missing = false;
    std::size_t held = 0;         ///< entries of this destination, in flight included
    std::uint64_t coalesced = 0;  ///< entries dropped by the cap, over the outbox's life
};

/// A heap whose top is the smallest.
template <class T>
using MinHeap = std::priority_queue<T, std::vector<T>, std::greater<T>>;

}  // namespace portwatch::notify::detail
