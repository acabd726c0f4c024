#include "probe/connect_poller.hpp"

#include <sys/epoll.h>

#include "probe/connect.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;

ConnectPoller::ConnectPoller(asio::io_context& io) : asio::io_context::service(io), set_(io) {}

std::uint64_t ConnectPoller::watch(int fd, std::shared_ptr<Connector> probe, std::size_t index) {
    if (!set_.is_open()) {
        // Made on first use, not at construction: at EMFILE this is a retryable failure
        // of one probe, not an exception out of the loop.
        int const epfd = ::epoll_create1(EPOLL_CLOEXEC);
        if (epfd < 0) {
            return 0;
        }
        set_.assign(epfd);
    }
    std::uint32_t slot;
    if (free_.empty()) {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    } else {
        slot = free_.back();
        free_.pop_back();
    }
    Slot& s = slots_[slot];
    s.probe = std::move(probe);
    s.index = index;
    std::uint64_t const token = (std::uint64_t{slot} << 32) | ++s.gen;
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = token;
    if (::epoll_ctl(set_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        release(slot);
        return 0;
    }
    ++watched_;
    arm();
    return token;
}

void ConnectPoller::unwatch(std::uint64_t token) {
    auto const slot = static_cast<std::uint32_t>(token >> 32);
    if (slot < slots_.size() && slots_[slot].gen == static_cast<std::uint32_t>(token)) {
        release(slot);
        if (--watched_ == 0 && armed_) {
            // Nothing left to watch: no pending wait may keep io_context::run() going.
            boost::system::error_code ignored;
            set_.cancel(ignored);
        }
    }
}

void ConnectPoller::release_fd(std::uint64_t token, int fd) {
    if (set_.is_open()) {
        ::epoll_ctl(set_.native_handle(), EPOLL_CTL_DEL, fd, nullptr);
    }
    unwatch(token);
}

void ConnectPoller::shutdown() {
    // Probes released here may close (and unwatch) in their destructors: the table is
    // already empty by then.
    auto slots = std::move(slots_);
    slots_.clear();
    free_.clear();
    watched_ = 0;
    slots.clear();
}

void ConnectPoller::release(std::uint32_t slot) {
    ++slots_[slot].gen;  // events already fetched for it are now stale
    slots_[slot].probe.reset();
    free_.push_back(slot);
}

void ConnectPoller::arm() {
    if (armed_ || watched_ == 0) {
        return;
    }
    armed_ = true;
    set_.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this](boost::system::error_code ec) { on_readable(ec); });
}

void ConnectPoller::on_readable(boost::system::error_code ec) {
    armed_ = false;
    if (!ec) {
        epoll_event events[256];
        int n;
        do {
            n = ::epoll_wait(set_.native_handle(), events, 256, 0);
            for (int k = 0; k < n; ++k) {
                auto const token = events[k].data.u64;
                auto const slot = static_cast<std::uint32_t>(token >> 32);
                if (slot >= slots_.size() ||
                    slots_[slot].gen != static_cast<std::uint32_t>(token)) {
                    continue;  // closed since the event was queued
                }
                auto const probe = slots_[slot].probe;  // the handler may unwatch it
                probe->on_ready(slots_[slot].index, events[k].events);
            }
        } while (n == 256);
    }
    arm();
}

}  // namespace portwatch::probe
