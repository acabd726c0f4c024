// The daemon's checks: the scheduler's wakeups start probes; each result goes through the
// pipeline shared with `check`, and what it yields joins the next store batch.
#include "driver/daemon_impl.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace log = util::log;

namespace {

/// The persisted part of a state: streaks are capped at what the thresholds look at, so a
/// target that stays UP (or DOWN) writes nothing check after check.
eval::TargetState persisted(eval::TargetState s, eval::Thresholds const& th) {
    s.consecutive_failures = std::min(s.consecutive_failures, std::max(1, th.failure));
    s.consecutive_successes = std::min(s.consecutive_successes, std::max(1, th.success));
    s.last_check = {};
    return s;
}

void log_transition(TargetSlot const& s, eval::Status from, eval::TargetState const& to) {
    // A first-seen UP is routine (50,000 of them at startup): debug only.
    bool const routine = from == eval::Status::unknown && to.status == eval::Status::up;
    if (routine && !log::enabled(log::Level::debug)) {
        return;
    }
    log::write(routine ? log::Level::debug : log::Level::info,
               fmt::format("{} {} ({})", eval::status_name(to.status), s.spec.name,
                           to.reason.empty() ? s.key : s.key + ": " + to.reason));
}

}  // namespace

void Daemon::Impl::arm_scheduler() {
    if (stopping) {
        return;
    }
    auto const next = scheduler->next_wakeup();
    if (!next || (tick_armed && tick_at <= *next)) {
        return;
    }
    tick_armed = true;
    tick_at = *next;
    tick_timer.expires_at(*next);
    tick_timer.async_wait([this](boost::system::error_code ec) {
        if (ec == boost::asio::error::operation_aborted) {
            return;
        }
        tick_armed = false;
        on_tick();
    });
}

void Daemon::Impl::on_tick() {
    if (stopping) {
        return;
    }
    due.clear();
    scheduler->take_due(due);
    for (auto const& d : due) {
        start_probe(d.id, d.planned);
    }
    arm_scheduler();
}

void Daemon::Impl::start_probe(std::size_t slot, SteadyTime planned) {
    auto& s = table[slot];
    lateness.record(clock.now() - planned);
    auto const generation = table.generation(slot);
    engine->submit(probe::ProbeRequest{.kind = s.spec.target.kind,
                                       .host = s.spec.target.connect_host(),
                                       .port = s.spec.target.port,
                                       .timeout = s.spec.timeout,
                                       .options = s.options},
                   [this, slot, generation](probe::ProbeResult r) {
                       on_result(slot, generation, std::move(r));
                   });
}

void Daemon::Impl::on_result(std::size_t slot, std::uint32_t generation, probe::ProbeResult r) {
    if (finished) {
        return;  // cancelled by the engine's stop: says nothing about the target
    }
    if (!table.current(slot, generation)) {
        // Removed by a reload while in flight: the scheduler already forgot that run, and the
        // slot may hold a new target whose own run must stay counted as running.
        arm_scheduler();
        return;
    }
    scheduler->done(slot);
    auto& s = table[slot];
    auto const now = this->now();
    auto const reason = r.up ? std::string() : r.reason();
    if (auto rollup = s.stats.record(s.key, minute_of(now), r.up, reason, r.latency)) {
        batch.rollups.push_back(std::move(*rollup));
    }

    auto const obs = observation_of(r, canaries->ok());
    auto const from = s.state ? s.state->status : eval::Status::unknown;
    auto step = process(s.spec.target, s.state, obs, s.thresholds, now, *s.routes, &s.spec);
    s.last_unknown = obs.unknown;
    s.last = std::move(r);
    if (step.transition) {
        s.stats.count_transition();
        log_transition(s, from, step.state);
        batch.transitions.push_back(std::move(*step.transition));
        publisher.mark_stale();
    }
    bool const announced = step.announced();
    for (auto& entry : step.entries) {
        add_to_outbox(std::move(entry));
    }
    auto p = persisted(step.state, s.thresholds);
    if (!(p == s.saved)) {
        s.saved = p;
        batch.states.emplace_back(s.key, std::move(p));
    }
    s.state = std::move(step.state);
    if (announced) {
        flush();  // durable before visible: the notifier runs once this batch commits
    }
    arm_scheduler();
}

void Daemon::Impl::flush_rollups(bool all) {
    // Rollups of finished minutes (or all, at shutdown) join the next batch.
    auto const minute = minute_of(now());
    for (auto const slot : table.view_order()) {
        if (auto rollup = table[slot].stats.take_rollup(minute, all)) {
            batch.rollups.push_back(std::move(*rollup));
        }
    }
}

}  // namespace portwatch::driver
