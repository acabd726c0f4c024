#include "crash/flip_ports.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

namespace portwatch::test {

FlipPorts::FlipPorts(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        ports_.push_back(std::make_unique<FlipPort>(false));
    }
    thread_ = std::thread([this] { serve(); });
}

FlipPorts::~FlipPorts() {
    stop_ = true;
    thread_.join();
}

bool FlipPorts::up(std::size_t i) const {
    std::lock_guard lock(mutex_);
    return ports_[i]->up();
}

void FlipPorts::set(std::size_t i, bool up) {
    std::lock_guard lock(mutex_);
    if (ports_[i]->up() == up) {
        return;
    }
    // While the port is rebound, a probe's connecting socket may hold it as its ephemeral
    // source port for a moment: retry, bounded.
    for (int attempt = 0; attempt < 200; ++attempt) {
        if (ports_[i]->set(up)) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error(fmt::format("cannot bind 127.0.0.1:{}", ports_[i]->port()));
}

void FlipPorts::flip(std::mt19937_64& rng) {
    for (std::size_t i = 0; i < ports_.size(); ++i) {
        if (std::uniform_int_distribution<int>(0, 9)(rng) < 3) {
            set(i, !up(i));
        }
    }
}

void FlipPorts::serve() {
    while (!stop_) {
        std::lock_guard lock(mutex_);
        std::vector<pollfd> fds;
        for (auto const& p : ports_) {
            if (p->up()) {
                fds.push_back({p->fd(), POLLIN, 0});
            }
        }
        ::poll(fds.data(), fds.size(), 5);
        for (auto const& f : fds) {
            for (int k = 0; k < 64 && (f.revents & POLLIN) != 0; ++k) {
                int const c = ::accept4(f.fd, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0) {
                    break;
                }
                ::close(c);
            }
        }
    }
}

}  // namespace portwatch::test
