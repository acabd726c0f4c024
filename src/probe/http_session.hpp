#pragma once

// One HTTP(S) probe in flight (private to the http kind's files).

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probe/http.hpp"
#include "probe/http_options.hpp"
#include "probe/resolver.hpp"

namespace portwatch::probe {

/// The response of one hop, as far as the probe needs it.
struct HttpAnswer {
    int status = 0;
    std::string location;
    /// The body's first bytes (up to the read bound), read only when a body check needs it.
    std::string body;
};

/// One lookup of a redirect's host through the engine's resolver; the first answer wins
/// (the resolver's, or the deadline's).
class RedirectLookup final : public ResolveWaiter {
  public:
    using Handler = std::function<void(std::shared_ptr<Resolution const>)>;
    explicit RedirectLookup(Handler h) : handler_(std::move(h)) {}
    void on_resolved(std::shared_ptr<Resolution const> const& r) override {
        if (handler_) {
            auto h = std::move(handler_);
            handler_ = nullptr;
            h(r);
        }
    }

  private:
    Handler handler_;
};

/// Runs the hops of one probe (the engine's connection first, then one connection per
/// redirect) as a coroutine on the socket's loop; calls `done` once, after its last I/O.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
  public:
    HttpSession(StreamStep const& step, StepDone done);
    void start();

  private:
    using Clock = std::chrono::steady_clock;
    using Socket = boost::asio::ip::tcp::socket;

    boost::asio::awaitable<StepResult> run();
    /// One request and its answer on a connected socket: TLS first for https. An empty
    /// error with `answer` filled, or the failure.
    boost::asio::awaitable<StepResult> hop(Socket& socket, HttpUrl const& url,
                                           std::string const& method, std::string const& body,
                                           bool read_body, HttpAnswer& answer);
    template <class Stream>
    boost::asio::awaitable<StepResult> exchange(Stream& stream, HttpUrl const& url,
                                                std::string const& method, std::string const& body,
                                                bool read_body, HttpAnswer& answer);
    /// A fresh connection for a redirect: to the engine's address for the same host and
    /// port, else to the addresses of the host (a literal, or through the engine's resolver).
    boost::asio::awaitable<StepResult> connect(HttpUrl const& url);
    /// The addresses of a redirect's host name from the engine's resolver; resumed on the
    /// loop, never blocking it; a dns_timeout at the deadline.
    boost::asio::awaitable<std::shared_ptr<Resolution const>> lookup(std::string const& host);

    /// The failure for an I/O error in `what` ("response header", ...): http-timeout past
    /// the deadline, else `otherwise`.
    StepResult io_failure(boost::system::error_code ec, std::string const& what, HttpUrl const& url,
                          std::error_code otherwise) const;
    std::chrono::microseconds since_start() const;
    void on_deadline();
    void finish(StepResult r);

    Socket& engine_socket_;
    std::optional<Socket> own_socket_;
    Socket* active_ = nullptr;
    boost::asio::ip::tcp::endpoint origin_;
    std::shared_ptr<KindOptions const> keep_;
    HttpOptions const& options_;
    Clock::time_point start_;
    Clock::time_point deadline_;
    std::chrono::milliseconds timeout_;
    /// The method of the current hop (a 303 turns it into GET).
    std::string method_;
    boost::asio::steady_timer timer_;
    std::weak_ptr<Resolver> resolver_;
    std::shared_ptr<RedirectLookup> lookup_;
    bool timed_out_ = false;
    ProbeFacts facts_;
    StepDone done_;
};

}  // namespace portwatch::probe
