#include "http/daemon_api.hpp"

#include <cstdint>
#include <map>
#include <string>

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
    // The entries refused for good (never retried; the last 100 of this run), newest last.
    json refused = json::array();
    for (auto const& r : p.refused) {
        refused.push_back({{"event_id", r.event_id},
                           {"destination", r.destination},
                           {"key", r.key},
                           {"event", r.event},
                           {"message", r.message},
                           {"error", r.error},
                           {"attempts", r.attempts},
                           {"event_time", format_utc(r.event_time)},
                           {"refused_at", format_utc(r.refused_at)}});
    }
    auto per_notifier = [](std::map<std::string, std::uint64_t> const& m) {
        json out = json::object();
        for (auto const& [name, n] : m) {
            out[name] = n;
        }
        return out;
    };
    json const j = {
        {"version", p.version},
        {"started", p.started == util::TimePoint{} ? json() : json(format_utc(p.started))},
        {"taken", format_utc(snap.taken)},
        {"config_loaded", p.config_loaded},
        {"store_writable", p.store_writable},
        {"connectivity", {{"ok", p.connectivity_up}, {"canaries", p.canaries}}},
        {"outbox",
         {{"pending", p.outbox_size},
          {"destinations", std::move(destinations)},
          {"refused", std::move(refused)}}},
        {"notifications",
         {{"sent", p.notifications_sent},
          {"failed", p.notifications_failed},
          {"refused", per_notifier(p.notifications_refused)},
          {"coalesced", per_notifier(p.notifications_coalesced)}}},
    };
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace portwatch::http
