#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace portwatch::probe {

class Connector;

/// Readiness for every probe socket of one io_context, through one epoll set of its own that
/// the loop watches as a single descriptor. A socket costs one epoll_ctl (ADD, edge-triggered
/// for output, input and hang-up) and its close removes it: Asio's own registration costs an
/// ADD, a MOD per wait and an ioctl per socket.
/// An Asio service: one per io_context, created on first use, gone with the io_context.
class ConnectPoller final : public boost::asio::io_context::service {
  public:
    static inline boost::asio::io_context::id id;

    explicit ConnectPoller(boost::asio::io_context& io);

    /// Watches `fd` for `probe`'s socket `index`; returns the token for unwatch(), or 0 with
    /// errno set (EMFILE when the epoll set itself could not be made).
    std::uint64_t watch(int fd, std::shared_ptr<Connector> probe, std::size_t index);

    /// Stops delivering events for a token; the caller closes the fd right after.
    void unwatch(std::uint64_t token);

    /// Stops watching an fd that stays open (handed to a kind's steps): unwatch and remove it
    /// from the set, so that its traffic no longer wakes the poller.
    void release_fd(std::uint64_t token, int fd);

  private:
    struct Slot {
        std::shared_ptr<Connector> probe;
        std::size_t index = 0;
        std::uint32_t gen = 0;
    };

    void shutdown() override;
    void release(std::uint32_t slot);
    void arm();
    void on_readable(boost::system::error_code ec);

    boost::asio::posix::stream_descriptor set_;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_;
    std::size_t watched_ = 0;
    bool armed_ = false;
};

}  // namespace portwatch::probe
