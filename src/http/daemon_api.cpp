#include "http/daemon_api.hpp"

#include <nlohmann/json.hpp>

#include "http/api.hpp"

namespace portwatch::http {

std::string render_daemon(Snapshot const& snap) {
    using nlohmann::json;
    auto const& p = snap.process;
    json destinations = json::array();
    for (auto const& d : p.destinations) {
        destinations.push_back(
            {{"name", d.name},
             {"pending", d.pending},
             {"refused", d.refused},
             {"last_error", d.last_error.empty() ? json() : json(d.last_error)}});
    }
    json const j = {
        {"version", p.version},
        {"started", p.started == util::TimePoint{} ? json() : json(format_utc(p.started))},
        {"taken", format_utc(snap.taken)},
        {"config_loaded", p.config_loaded},
        {"store_writable", p.store_writable},
        {"connectivity", {{"ok", p.connectivity_up}, {"canaries", p.canaries}}},
        {"outbox", {{"pending", p.outbox_size}, {"destinations", std::move(destinations)}}},
        {"notifications", {{"sent", p.notifications_sent}, {"failed", p.notifications_failed}}},
    };
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace portwatch::http
