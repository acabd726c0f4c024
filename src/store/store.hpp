#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eval/evaluator.hpp"
#include "eval/event.hpp"
#include "util/result.hpp"
#include "util/time.hpp"

namespace portwatch::store {

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

    bool operator==(OutboxEntry const&) const = default;
};

/// Everything a store holds: target states by key, in list order, and the outbox in the
/// order events happened. Look targets up through a StateIndex (store/state_index.hpp).
struct State {
    std::vector<std::pair<std::string, eval::TargetState>> targets;
    std::vector<OutboxEntry> outbox;

    bool operator==(State const&) const = default;
};

struct Loaded {
    State state;
    /// Problems the user must hear about (corrupt file set aside, unknown values skipped).
    std::vector<std::string> warnings;
};

/// Persistence of target state and the outbox. commit() is atomic: after a crash at any
/// instant, load() returns either the previous or the new content, never a mix.
class Store {
  public:
    virtual ~Store() = default;
    virtual util::Result<Loaded> load() = 0;
    virtual util::Result<void> commit(State const& state) = 0;
    /// Human-readable location, for logs.
    virtual std::string describe() const = 0;
};

}  // namespace portwatch::store
