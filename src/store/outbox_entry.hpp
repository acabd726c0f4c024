#pragma once

#include <string>

#include "eval/event.hpp"
#include "util/time.hpp"

namespace portwatch::store {

/// An outbox entry's identity: one entry per (event, destination).
struct OutboxId {
    std::string event_id;
    std::string destination;  ///< "" = the default notifier of a seed list

    OutboxId() = default;
    /// The entry of an event for the default destination (what a one-notifier driver names).
    OutboxId(std::string event) : event_id(std::move(event)) {}  // NOLINT: implicit by design
    OutboxId(std::string event, std::string dest)
        : event_id(std::move(event)), destination(std::move(dest)) {}

    bool operator==(OutboxId const&) const = default;
    auto operator<=>(OutboxId const&) const = default;
};

/// An event waiting for delivery, with its message rendered when the event happened (so a
/// retry on a later run says exactly what the first attempt would have said).
struct OutboxEntry {
    eval::Event event;
    /// The notifier this entry goes to, by name ("" = the default notifier of a seed list).
    /// One entry per (event, destination); ordered per (event.key, destination).
    std::string destination;
    std::string message;
    int attempts = 0;
    util::TimePoint next_attempt{};  ///< not retried before this (exponential backoff)
    std::string last_error;

    OutboxId id() const { return OutboxId{event.id, destination}; }
    bool operator==(OutboxEntry const&) const = default;
};

}  // namespace portwatch::store
