// The daemon under systemd: a STATUS= line (targets, down, outbox) sent when it changes, at
// most once a second, and WATCHDOG=1 pings from the event loop itself (a wedged loop stops
// pinging and systemd restarts the service; packaging/portwatch.service sets WatchdogSec=).
#include <fmt/format.h>

#include "driver/daemon_impl.hpp"
#include "util/log.hpp"
#include "util/systemd.hpp"

namespace portwatch::driver {

using namespace std::chrono_literals;

namespace {
/// How often STATUS= is recomputed (and sent when it changed).
constexpr auto status_period = 1s;
}  // namespace

std::string Daemon::Impl::service_status() const {
    std::size_t down = 0;
    for (auto const slot : table.view_order()) {
        auto const& s = table[slot];
        down += s.state && s.state->status == eval::Status::down ? 1 : 0;
    }
    return fmt::format("{} target(s), {} down, outbox {}", table.view_order().size(), down,
                       outbox ? outbox->pending() : 0);
}

void Daemon::Impl::send_service_status() {
    auto text = service_status();
    if (text == status_sent) {
        return;
    }
    util::systemd_notify(("STATUS=" + text).c_str());
    status_sent = std::move(text);
}

void Daemon::Impl::start_systemd_reports() {
    send_service_status();
    every(status_period, [this] { send_service_status(); });
    if (auto const interval = util::systemd_watchdog_interval()) {
        // Half the interval, as sd_watchdog_enabled(3) advises; from this loop, on purpose.
        auto const half =
            std::max(std::chrono::milliseconds(1),
                     std::chrono::duration_cast<std::chrono::milliseconds>(*interval / 2));
        util::log::info("systemd watchdog: pinging every {} ms", half.count());
        util::systemd_notify("WATCHDOG=1");
        every(half, [] { util::systemd_notify("WATCHDOG=1"); });
    }
}

}  // namespace portwatch::driver
