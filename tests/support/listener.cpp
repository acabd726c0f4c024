#include "support/listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

namespace portwatch::test {

namespace {

// Binds a non-blocking TCP socket to address:port (port 0: any, SO_REUSEADDR otherwise, to take
// a port back); returns the fd (or -1 with `error` set) and sets the port.
int bind_loopback(std::string const& address, std::uint16_t& port, std::string& error) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    int family = AF_INET;
    if (address.find(':') != std::string::npos) {
        family = AF_INET6;
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        if (::inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) != 1) {
            error = "bad address " + address;
            return -1;
        }
        len = sizeof(sockaddr_in6);
    } else {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        if (::inet_pton(AF_INET, address.c_str(), &sin->sin_addr) != 1) {
            error = "bad address " + address;
            return -1;
        }
        len = sizeof(sockaddr_in);
    }
    int const fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return -1;
    }
    if (port != 0) {
        int const one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        error = "bind " + address + ": " + std::strerror(errno);
        ::close(fd);
        return -1;
    }
    len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                    : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    return fd;
}

}  // namespace

LoopbackListener::LoopbackListener() : LoopbackListener(Options{}) {}

LoopbackListener::LoopbackListener(Options options) : options_(std::move(options)) {
    int const fd = bind_loopback(options_.address, port_, error_);
    if (fd < 0) {
        return;
    }
    if (::listen(fd, 4096) != 0) {
        error_ = std::string("listen: ") + std::strerror(errno);
        ::close(fd);
        return;
    }
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    ev.data.fd = wake_fd_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    listen_fd_ = fd;
    thread_ = std::thread([this] { serve(); });
}

LoopbackListener::~LoopbackListener() {
    if (thread_.joinable()) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto const n = ::write(wake_fd_, &one, sizeof one);
        thread_.join();
    }
    for (int fd : {listen_fd_, epoll_fd_, wake_fd_}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

bool LoopbackListener::wait_ended(std::size_t n, std::chrono::milliseconds timeout) const {
    auto const until = std::chrono::steady_clock::now() + timeout;
    while (eofs_.load() + resets_.load() < n) {
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

// One thread, epoll: accept, send the banner, read to EOF, close.
void LoopbackListener::serve() {
    epoll_event events[256];
    char buf[4096];
    std::unordered_set<int> conns;
    struct CloseAll {
        std::unordered_set<int>& fds;
        ~CloseAll() {
            for (int fd : fds) {
                ::close(fd);
            }
        }
    } close_all{conns};
    for (;;) {
        int const n = ::epoll_wait(epoll_fd_, events, 256, 1000);
        if (n < 0 && errno != EINTR) {
            break;
        }
        for (int i = 0; i < n; ++i) {
            int const fd = events[i].data.fd;
            if (fd == wake_fd_) {
                return;
            }
            if (fd == listen_fd_) {
                for (;;) {
                    int const c =
                        ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) {
                        break;
                    }
                    ++accepted_;
                    if (!options_.banner.empty() &&
                        ::send(c, options_.banner.data(), options_.banner.size(), MSG_NOSIGNAL) <
                            0) {
                        // Reset before we could talk (the error is reported once, here).
                        ++resets_;
                        ::close(c);
                        continue;
                    }
                    conns.insert(c);
                    epoll_event ev{};
                    ev.events = EPOLLIN | EPOLLRDHUP;
                    ev.data.fd = c;
                    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c, &ev);
                }
                continue;
            }
            // A connection: read what there is; EOF or an error ends it.
            for (;;) {
                ssize_t const got = ::recv(fd, buf, sizeof buf, 0);
                if (got > 0) {
                    continue;
                }
                if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
                    break;
                }
                if (got == 0) {
                    ++eofs_;
                } else {
                    ++resets_;
                }
                ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
                conns.erase(fd);
                ::close(fd);
                break;
            }
        }
    }
}

ClosedPort::ClosedPort(std::string const& address) {
    std::string error;
    fd_ = bind_loopback(address, port_, error);
}

ClosedPort::~ClosedPort() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

FlipPort::FlipPort(bool listening) {
    set(listening);
}

FlipPort::~FlipPort() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool FlipPort::set(bool listening) {
    if (fd_ >= 0 && listening == up_) {
        return true;
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
    up_ = false;
    std::string error;
    fd_ = bind_loopback("127.0.0.1", port_, error);
    if (fd_ < 0) {
        return false;
    }
    if (listening && ::listen(fd_, SOMAXCONN) != 0) {
        return false;  // bound, not listening: still refused
    }
    up_ = listening;
    return true;
}

bool ipv6_loopback_available() {
    std::uint16_t port = 0;
    std::string error;
    int const fd = bind_loopback("::1", port, error);
    if (fd < 0) {
        return false;
    }
    ::close(fd);
    return true;
}

}  // namespace portwatch::test
