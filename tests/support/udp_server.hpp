#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace portwatch::test {

/// A UDP server on a loopback address, served by its own thread: `reply` gets each datagram
/// (numbered from 0) and returns what to send back, or nullopt for silence. Header-only.
class UdpServer {
  public:
    using Reply = std::function<std::optional<std::string>(std::size_t, std::string const&)>;

    UdpServer(std::string const& address, Reply reply) : reply_(std::move(reply)) {
        bool const v6 = address.find(':') != std::string::npos;
        fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_storage ss{};
        socklen_t len = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        if (v6) {
            auto& a = reinterpret_cast<sockaddr_in6&>(ss);
            a.sin6_family = AF_INET6;
            ::inet_pton(AF_INET6, address.c_str(), &a.sin6_addr);
        } else {
            auto& a = reinterpret_cast<sockaddr_in&>(ss);
            a.sin_family = AF_INET;
            ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
        }
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
            return;
        }
        port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6&>(ss).sin6_port
                         : reinterpret_cast<sockaddr_in&>(ss).sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~UdpServer() {
        stop_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    UdpServer(UdpServer const&) = delete;
    UdpServer& operator=(UdpServer const&) = delete;

    bool ok() const { return port_ != 0; }
    std::uint16_t port() const { return port_; }
    std::size_t received() const { return received_.load(); }

  private:
    void serve() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) {
                continue;
            }
            char buf[2048];
            sockaddr_storage from{};
            socklen_t len = sizeof from;
            ssize_t const n =
                ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n < 0) {
                continue;
            }
            auto const out =
                reply_(received_.load(), std::string(buf, static_cast<std::size_t>(n)));
            ++received_;
            if (out) {
                ::sendto(fd_, out->data(), out->size(), 0, reinterpret_cast<sockaddr*>(&from), len);
            }
        }
    }

    Reply reply_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<std::size_t> received_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

/// Replies with what it got.
inline UdpServer::Reply udp_echo() {
    return [](std::size_t, std::string const& got) { return got; };
}

/// A UDP port on `address` with nothing bound (a UdpServer's, released again): the kernel
/// answers datagrams to it with ICMP port unreachable.
inline std::uint16_t closed_udp_port(std::string const& address = "127.0.0.1") {
    UdpServer gone(address, [](std::size_t, std::string const&) { return std::nullopt; });
    return gone.port();
}

}  // namespace portwatch::test
