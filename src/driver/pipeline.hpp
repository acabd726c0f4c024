#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/target.hpp"
#include "eval/evaluator.hpp"
#include "notify/message.hpp"
#include "probe/probe.hpp"
#include "store/history.hpp"
#include "store/store.hpp"

namespace portwatch::driver {

/// A notifier an event may go to: its name and the templates its messages are rendered with.
struct Destination {
    std::string name;  ///< the notifier's name ("" = the default notifier)
    notify::MessageTemplates templates;

    bool operator==(Destination const&) const = default;
};

/// What one check of one target leads to: its next state, the transition to record (every
/// status change, announced or not), and one outbox entry per destination of its event.
struct Step {
    eval::TargetState state;
    std::optional<store::Transition> transition;
    std::vector<store::OutboxEntry> entries;

    bool announced() const { return !entries.empty(); }
};

/// The evaluator's view of a probe result: a failure while connectivity is lost (every canary
/// fails), or one of this host's own making, says nothing about the target (unknown).
eval::Observation observation_of(probe::ProbeResult const& result, bool connectivity_ok);

/// From probe result to evaluation, rendering and outbox rows: the one path that `check` and
/// `run` share. Pure: `now` is the time of the check.
/// `spec` (null for `.lst` targets) gives the events the target's name, group and labels.
Step process(config::Target const& target, std::optional<eval::TargetState> const& previous,
             eval::Observation const& observation, eval::Thresholds const& thresholds,
             util::TimePoint now, std::span<Destination const> destinations,
             config::TargetSpec const* spec = nullptr);

}  // namespace portwatch::driver
