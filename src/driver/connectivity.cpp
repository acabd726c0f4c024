#include "driver/connectivity.hpp"

#include <algorithm>

#include "util/log.hpp"

namespace portwatch::driver {

namespace log = util::log;

bool connectivity_lost(std::span<probe::ProbeResult const> canaries) {
    return !canaries.empty() && std::none_of(canaries.begin(), canaries.end(),
                                             [](probe::ProbeResult const& r) { return r.up; });
}

CanaryLoop::CanaryLoop(boost::asio::io_context& io, probe::Engine& engine,
                       std::function<void(bool)> on_change)
    : engine_(engine), on_change_(std::move(on_change)), timer_(io) {}

void CanaryLoop::start(config::ConnectivitySpec spec) {
    spec_ = std::move(spec);
    stopped_ = false;
    timer_.cancel();
    if (!ok_) {
        ok_ = true;
        on_change_(true);
    }
    if (spec_.canaries.empty()) {
        return;
    }
    timer_.expires_after(std::chrono::milliseconds(0));
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            do_round();
        }
    });
}

void CanaryLoop::stop() {
    stopped_ = true;
    timer_.cancel();
}

void CanaryLoop::do_round() {
    if (stopped_ || pending_ > 0) {
        return;  // a round still in flight picks the new spec up next time
    }
    pending_ = spec_.canaries.size();
    results_.assign(pending_, probe::ProbeResult{});
    for (std::size_t i = 0; i < spec_.canaries.size(); ++i) {
        auto const& t = spec_.canaries[i];
        engine_.submit(
            probe::ProbeRequest{.host = t.connect_host(), .port = t.port, .timeout = spec_.timeout},
            [this, i](probe::ProbeResult r) {
                results_[i] = std::move(r);
                if (--pending_ == 0) {
                    on_round_done();
                }
            });
    }
}

void CanaryLoop::on_round_done() {
    bool const ok = !connectivity_lost(results_);
    if (ok != ok_) {
        if (ok) {
            log::warn("connectivity restored: a canary answers again");
        } else {
            log::error(
                "connectivity lost: all {} canaries fail; failures are UNKNOWN and nothing is "
                "announced until one answers",
                results_.size());
        }
        ok_ = ok;
        on_change_(ok);
    }
    if (stopped_ || spec_.canaries.empty()) {
        return;
    }
    timer_.expires_after(spec_.interval);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            do_round();
        }
    });
}

}  // namespace portwatch::driver
