#include "driver/pipeline.hpp"

namespace portwatch::driver {

eval::Observation observation_of(probe::ProbeResult const& result, bool connectivity_ok) {
    return eval::Observation{.up = result.up,
                             .reason = result.up ? std::string() : result.reason(),
                             .detail = result.detail,
                             .unknown = (!result.up && !connectivity_ok) || result.is_local()};
}

Step process(config::Target const& target, std::optional<eval::TargetState> const& previous,
             eval::Observation const& observation, eval::Thresholds const& thresholds,
             util::TimePoint now, std::span<Destination const> destinations) {
    auto ev = eval::evaluate(target, previous, observation, thresholds, now);
    Step step;
    auto const from = previous ? previous->status : eval::Status::unknown;
    if (ev.state.status != from) {
        step.transition = store::Transition{.target_key = target.key(),
                                            .from = from,
                                            .to = ev.state.status,
                                            .time = now,
                                            .reason = ev.state.reason};
    }
    if (ev.event) {
        step.entries.reserve(destinations.size());
        for (auto const& d : destinations) {
            step.entries.push_back(
                store::OutboxEntry{.event = *ev.event,
                                   .destination = d.name,
                                   .message = notify::render(*ev.event, d.templates)});
        }
    }
    step.state = std::move(ev.state);
    return step;
}

}  // namespace portwatch::driver
