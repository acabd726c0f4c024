#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "support/listener.hpp"

namespace portwatch::test {

/// Loopback targets that the crash harnesses flip up and down: FlipPorts on 127.0.0.1, served
/// by one thread that accepts and closes on every listening port (so that a probe's graceful
/// close ends at once). Thread-safe.
class FlipPorts {
  public:
    /// `n` ports, all DOWN (bound, not listening) at first.
    explicit FlipPorts(std::size_t n);
    ~FlipPorts();
    FlipPorts(FlipPorts const&) = delete;
    FlipPorts& operator=(FlipPorts const&) = delete;

    std::size_t size() const { return ports_.size(); }
    std::uint16_t port(std::size_t i) const { return ports_[i]->port(); }
    bool up(std::size_t i) const;
    /// Sets port `i` listening (UP) or not (DOWN); throws when the port cannot be taken back.
    void set(std::size_t i, bool up);
    /// Flips each port with probability 3/10.
    void flip(std::mt19937_64& rng);

  private:
    void serve();

    std::vector<std::unique_ptr<FlipPort>> ports_;
    mutable std::mutex mutex_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace portwatch::test
