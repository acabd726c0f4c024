#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "config/config.hpp"
#include "probe/engine.hpp"

namespace portwatch::driver {

/// The canary verdict, the same in both modes: connectivity is lost when there are canaries
/// and every one of them failed.
bool connectivity_lost(std::span<probe::ProbeResult const> canaries);

/// The daemon's connectivity self-check: probes every canary each `interval` and reports a
/// change of the verdict (logged here, once per change).
class CanaryLoop {
  public:
    CanaryLoop(boost::asio::io_context& io, probe::Engine& engine,
               std::function<void(bool ok)> on_change);

    /// Starts over with a new spec (a reload); no canaries means connectivity is assumed.
    void start(config::ConnectivitySpec spec);
    void stop();
    bool ok() const { return ok_; }
    bool busy() const { return pending_ > 0; }

  private:
    void do_round();
    void on_round_done();

    probe::Engine& engine_;
    std::function<void(bool)> on_change_;
    boost::asio::steady_timer timer_;
    config::ConnectivitySpec spec_;
    std::vector<probe::ProbeResult> results_;
    std::size_t pending_ = 0;
    bool ok_ = true;
    bool stopped_ = false;
};

}  // namespace portwatch::driver
