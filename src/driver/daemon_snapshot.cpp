// The daemon's picture for the HTTP layer: a copy of every target's view and the process's
// numbers, built on the loop (SnapshotPublisher decides when).
#include "driver/daemon_impl.hpp"

namespace portwatch::driver {

http::SnapshotPtr Daemon::Impl::build_snapshot() const {
    auto snap = std::make_shared<http::Snapshot>();
    snap->taken = now();
    snap->targets.reserve(table.view_order().size());
    for (auto const slot : table.view_order()) {
        auto const& s = table[slot];
        http::TargetView v = s.stats.view();  // counters, histogram, failures_by_reason
        v.id = s.spec.name;                   // plain: a URL encodes it once
        v.name = s.spec.name;
        v.host = s.spec.target.host;
        v.port = s.spec.target.port;
        v.description = s.spec.target.description;
        v.group = s.spec.group;
        v.labels = s.spec.labels;
        if (s.state) {
            v.status = s.last_unknown ? eval::Status::unknown : s.state->status;
            v.since = s.state->since;
            v.reason = s.state->reason;
            v.last_check = s.state->last_check;
        }
        v.detail = s.last.detail;
        v.last_latency = s.last.latency;
        if (v.last_check != util::TimePoint{}) {
            v.probe_success = s.last.up;
        }
        auto const& f = s.last.facts;
        v.cert_not_after = f.cert_not_after;
        v.tls_version = f.tls_version;
        v.http_status = f.http_status;
        v.connect_time = f.connect_time;
        v.tls_time = f.tls_time;
        v.first_byte_time = f.first_byte_time;
        snap->targets.push_back(std::move(v));
    }
    auto& pv = snap->process;
    pv.version = PORTWATCH_VERSION;
    pv.started = started;
    pv.outbox_size = outbox ? outbox->pending() : 0;
    pv.notifications_sent = notifications_sent;
    pv.notifications_failed = notifications_failed;
    pv.notifications_refused = notifications_refused;
    pv.notifications_coalesced = notifications_coalesced;
    pv.refused.assign(refused.begin(), refused.end());
    pv.lateness_counts = lateness.counts();
    pv.lateness_sum = lateness.sum();
    pv.config_loaded = true;
    pv.store_writable = writer && writer->healthy();
    pv.last_reload_successful = last_reload_ok;
    pv.last_reload_success =
        last_reload_success != util::TimePoint{} ? last_reload_success : started;
    pv.canaries = config.connectivity.canaries.size();
    pv.connectivity_up = !canaries || canaries->ok();
    pv.destinations = destination_views();
    return snap;
}

}  // namespace portwatch::driver
