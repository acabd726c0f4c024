// The outbox's reports: what it holds and has done (counts, stats, entries) and the pending log.

#include "notify/outbox.hpp"

#include <string>
#include <vector>

#include "notify/outbox_impl.hpp"
#include "util/log.hpp"
#include "util/time.hpp"

namespace portwatch::notify {

namespace log = util::log;
using detail::to_where;
using std::chrono::seconds;

std::size_t Outbox::in_flight() const {
    return impl_->total_in_flight;
}

std::size_t Outbox::pending() const {
    return impl_->held;
}

OutboxStats const& Outbox::stats() const {
    return impl_->stats;
}

std::vector<store::OutboxEntry> Outbox::entries() const {
    std::vector<store::OutboxEntry> out;
    for (auto const& q : impl_->queues) {
        for (auto const& item : q.items) {
            out.push_back(item.entry);
        }
    }
    return out;
}

void Outbox::log_pending(std::size_t limit) const {
    auto const& m = *impl_;
    auto const now = m.clock.steady();
    auto const wall = m.clock.wall();
    std::size_t said = 0;
    std::size_t more = 0;
    for (auto const& q : m.queues) {
        if (q.items.empty()) {
            continue;
        }
        if (said == limit) {
            more += q.items.size();
            continue;
        }
        ++said;
        auto const& head = q.items.front();
        auto const wait = head.due > now ? std::chrono::ceil<seconds>(head.due - now) : seconds(0);
        // A check run retries a message that failed once on the next run whatever its time.
        bool const check = m.options.mode == OutboxOptions::Mode::check;
        auto const when =
            check && head.entry.attempts <= 1
                ? std::string("on the next run")
                : "from " + util::format_log_time(check ? head.entry.next_attempt : wall + wait);
        log::warn("NOTIFY pending{}: {} message(s) for {}, next due {}: {}",
                  to_where(head.entry.destination), q.items.size(), head.entry.event.key, when,
                  head.entry.message);
    }
    if (more > 0) {
        log::warn("NOTIFY pending: {} more message(s) not listed", more);
    }
}

}  // namespace portwatch::notify
