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
    return k == EventKind::down ? "down" : "up";
}

}  // namespace portwatch::eval
