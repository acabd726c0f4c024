#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace portwatch::test {

/// A TCP server on a loopback address, served by its own thread. For each connection it
/// writes `banner` (if any) at once, then reads and discards until the peer's FIN, and closes
/// gracefully. It counts how each connection ended: EOF (read returned 0) or reset.
///
///     LoopbackListener server({.banner = "SSH-2.0-test\r\n"});
///     ASSERT_TRUE(server.ok()) << server.error();
///     ... connect to server.address():server.port() ...
///     EXPECT_TRUE(server.wait_ended(1, std::chrono::seconds(5)));
///     EXPECT_EQ(server.resets(), 0u);
class LoopbackListener {
  public:
    struct Options {
        std::string address = "127.0.0.1";  ///< "127.0.0.1", "::1", any 127.0.0.0/8
        std::string banner;                 ///< sent on accept when not empty
    };

    LoopbackListener();
    explicit LoopbackListener(Options options);
    /// Stops the thread and closes every socket.
    ~LoopbackListener();
    LoopbackListener(LoopbackListener const&) = delete;
    LoopbackListener& operator=(LoopbackListener const&) = delete;

    /// False when the listener could not be set up (e.g. no IPv6); error() says why.
    bool ok() const { return listen_fd_ >= 0; }
    std::string const& error() const { return error_; }
    std::string const& address() const { return options_.address; }
    std::uint16_t port() const { return port_; }

    std::size_t accepted() const { return accepted_.load(); }
    /// Connections that ended with the peer's FIN (read returned 0).
    std::size_t eofs() const { return eofs_.load(); }
    /// Connections that ended with ECONNRESET (the peer sent RST).
    std::size_t resets() const { return resets_.load(); }
    /// Waits, at most `timeout`, until `n` connections have ended (EOF or reset).
    bool wait_ended(std::size_t n, std::chrono::milliseconds timeout) const;

  private:
    void serve();

    Options options_;
    std::string error_;
    int listen_fd_ = -1;
    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<std::size_t> accepted_{0};
    std::atomic<std::size_t> eofs_{0};
    std::atomic<std::size_t> resets_{0};
    std::thread thread_;
};

/// A loopback port where connections are refused: a socket bound to it but not listening,
/// held for the object's lifetime so that nobody else takes the port.
class ClosedPort {
  public:
    explicit ClosedPort(std::string const& address = "127.0.0.1");
    ~ClosedPort();
    ClosedPort(ClosedPort const&) = delete;
    ClosedPort& operator=(ClosedPort const&) = delete;

    bool ok() const { return fd_ >= 0; }
    std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

/// A port on 127.0.0.1 switched between listening (UP: the kernel completes handshakes from
/// the backlog; accept from fd() or not) and bound but not listening (refused, DOWN). It keeps
/// its number, and stays bound while DOWN so that nobody else takes it.
class FlipPort {
  public:
    explicit FlipPort(bool listening = true);
    ~FlipPort();
    FlipPort(FlipPort const&) = delete;
    FlipPort& operator=(FlipPort const&) = delete;

    /// False when the port could not be taken back (it is then not listening).
    bool set(bool listening);
    bool up() const { return up_; }
    int fd() const { return fd_; }  ///< non-blocking
    std::uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    bool up_ = false;
};

/// True when a socket can be bound to ::1 (IPv6 loopback available).
bool ipv6_loopback_available();

}  // namespace portwatch::test
