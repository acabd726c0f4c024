#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "http/fixtures.hpp"
#include "http/server.hpp"

namespace portwatch::http {

using namespace std::chrono_literals;

/// A parsed response; `closed` says whether the server closed the connection after it.
struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  ///< names in lower case
    std::string body;
    std::string raw;
};

/// A blocking loopback TCP client whose every wait is bounded by poll().
class Client {
  public:
    /// Connects to 127.0.0.1:port, from `source` (another 127/8 address) when given.
    explicit Client(std::uint16_t port, char const* source = nullptr) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (source != nullptr) {
            sockaddr_in from{};
            from.sin_family = AF_INET;
            ::inet_pton(AF_INET, source, &from.sin_addr);
            ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from);
        }
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~Client() { ::close(fd_); }
    bool connected() const { return connected_; }

    bool send(std::string_view data) {
        while (!data.empty()) {
            auto const n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// Reads one response (Content-Length framed), or until EOF; empty status on timeout.
    Response read(std::chrono::milliseconds timeout = 5s) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto r = parse(); r.status != 0)
                return r;
            if (eof_)
                return parse(true);
            if (!fill(deadline))
                return {};
        }
    }

    /// True when an answer (or the end of the connection) is waiting now; reads nothing.
    bool readable() {
        pollfd p{fd_, POLLIN, 0};
        return !buffer_.empty() || eof_ || ::poll(&p, 1, 0) > 0;
    }

    /// True when the server closes the connection within `timeout` (no data expected).
    bool closed_within(std::chrono::milliseconds timeout) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while (!eof_) {
            if (!fill(deadline))
                return false;
        }
        return true;
    }

  private:
    bool fill(std::chrono::steady_clock::time_point deadline) {
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= 0ms)
            return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            return false;
        char buf[65536];
        auto const n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0)
            eof_ = true;
        else
            buffer_.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    Response parse(bool at_eof = false) {
        Response r;
        auto const end = buffer_.find("\r\n\r\n");
        if (end == std::string::npos)
            return r;
        std::string const head = buffer_.substr(0, end);
        std::size_t length = std::string::npos;
        std::map<std::string, std::string> headers;
        std::size_t pos = head.find("\r\n");
        while (pos != std::string::npos && pos < head.size()) {
            auto const next = head.find("\r\n", pos + 2);
            auto const line = head.substr(
                pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
            auto const colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(0, colon);
                for (auto& c : name)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
            }
            pos = next;
        }
        if (headers.contains("content-length"))
            length = std::stoul(headers["content-length"]);
        else if (!at_eof)
            return r;
        bool const head_only = head_request_;
        std::size_t const body_len = head_only ? 0 : length;
        if (length != std::string::npos && buffer_.size() < end + 4 + body_len)
            return r;
        r.status = std::stoi(head.substr(9, 3));
        r.headers = std::move(headers);
        r.body = buffer_.substr(end + 4, body_len);
        r.raw = buffer_.substr(0, end + 4 + r.body.size());
        buffer_.erase(0, r.raw.size());
        return r;
    }

  public:
    bool head_request_ = false;

  private:
    int fd_ = -1;
    bool connected_ = false;
    bool eof_ = false;
    std::string buffer_;
};

inline std::string request(std::string_view method, std::string_view target,
                           std::string_view extra_headers = "", bool keep_alive = false) {
    return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" +
           std::string(extra_headers) + (keep_alive ? "" : "Connection: close\r\n") + "\r\n";
}

/// A server on an ephemeral loopback port with the hand-made snapshot and fake history.
class ServerTest : public ::testing::Test {
  protected:
    void start(HttpOptions options = {}) {
        options.listen = "127.0.0.1:0";
        snapshot_ = std::make_shared<http::Snapshot const>(test::make_snapshot());
        server_ = std::make_unique<Server>(
            options, ServerSources{.snapshot = [this] { return std::atomic_load(&snapshot_); },
                                   .history = &history_,
                                   .now = [] { return test::http_now; }});
        auto r = server_->start();
        ASSERT_TRUE(r.has_value()) << r.error().message;
    }

    Response get(std::string_view target, std::string_view headers = "",
                 std::string_view method = "GET") {
        Client c(server_->port());
        EXPECT_TRUE(c.connected());
        c.head_request_ = method == "HEAD";
        c.send(request(method, target, headers));
        return c.read();
    }

    void publish(http::Snapshot s) {
        std::atomic_store(&snapshot_, std::make_shared<http::Snapshot const>(std::move(s)));
    }

    http::SnapshotPtr snapshot_;
    test::FakeHistory history_ = test::make_history();
    std::unique_ptr<Server> server_;
};

}  // namespace portwatch::http
