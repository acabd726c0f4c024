#include "eval/event.hpp"

namespace portwatch::eval {

char const* status_name(Status s) {
    switch (s) {
        case Status::up:
            return "UP";
        case Status::down:
            return "DOWN";
        case Status::unknown:
            break;
    }
    return "UNKNOWN";
}

char const* event_kind_name(EventKind k) {
    switch (k) {
        case EventKind::down:
            return "down";
        case EventKind::up:
            return "up";
        case EventKind::cert_expiring:
            return "cert-expiring";
        case EventKind::cert_renewed:
            return "cert-renewed";
    }
    return "down";
}

std::optional<EventKind> event_kind_from_name(std::string_view name) {
    for (auto const k :
         {EventKind::down, EventKind::up, EventKind::cert_expiring, EventKind::cert_renewed}) {
        if (name == event_kind_name(k)) {
            return k;
        }
    }
    return std::nullopt;
}

std::string Event::incident_id() const {
    bool const cert = kind == EventKind::cert_expiring || kind == EventKind::cert_renewed;
    auto const since =
        cert ? cert_not_after
             : std::chrono::duration_cast<std::chrono::seconds>(down_since.time_since_epoch())
                   .count();
    return key + (cert ? "/cert/" : "/") + std::to_string(since);
}

}  // namespace portwatch::eval
