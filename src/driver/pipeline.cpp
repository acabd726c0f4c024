#include "driver/pipeline.hpp"

namespace portwatch::driver {

eval::Observation observation_of(probe::ProbeResult const& result, bool connectivity_ok) {
    return eval::Observation{.up = result.up,
                             .reason = result.up ? std::string() : result.reason(),
                             .detail = result.detail,
                             .unknown = (!result.up && !connectivity_ok) || result.is_local(),
                             .cert_not_after = result.facts.cert_not_after};
}

Step process(config::Target const& target, std::optional<eval::TargetState> const& previous,
             eval::Observation const& observation, eval::Thresholds const& thresholds,
             util::TimePoint now, std::span<Destination const> destinations,
             config::TargetSpec const* spec) {
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
    std::size_t const events = (ev.event ? 1 : 0) + (ev.cert_event ? 1 : 0);
    step.entries.reserve(events * destinations.size());
    for (auto* event :
         {ev.event ? &*ev.event : nullptr, ev.cert_event ? &*ev.cert_event : nullptr}) {
        if (event == nullptr) {
            continue;
        }
        if (spec != nullptr) {
            event->name = spec->name;
            event->group = spec->group;
            event->labels = spec->labels;
        }
        for (auto const& d : destinations) {
            step.entries.push_back(
                store::OutboxEntry{.event = *event,
                                   .destination = d.name,
                                   .message = notify::render(*event, d.templates)});
        }
    }
    step.state = std::move(ev.state);
    return step;
}

}  // namespace portwatch::driver
