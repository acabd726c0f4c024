#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "http/handler.hpp"
#include "http/server.hpp"
#include "http/summary_log.hpp"
#include "http/verifier.hpp"

namespace portwatch::http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

/// A connection as the listener sees it: to close on stop(), or when it is the longest
/// waiting idle one and a new client needs its slot.
class Connection {
  public:
    virtual ~Connection() = default;
    virtual void close() = 0;
    /// Waiting for (the rest of) a request, not answering one.
    virtual bool idle() const = 0;
    /// Since when it waits, when idle().
    virtual SteadyClock::time_point idle_since() const = 0;
    /// The client's address (without port).
    virtual std::string const& address() const = 0;
};

/// The listener and what every connection shares; lives on the server's thread.
struct Core {
    HttpOptions options;
    Handler handler;
    asio::io_context io{1};
    /// Password checks, off this thread (threads only when Basic auth is configured).
    Verifier verifier;
    /// Requests that read history (Handler::needs_history), off this thread: one thread, so
    /// that the handler's history cache is only ever used by it.
    Verifier history_reads;
    std::optional<asio::ssl::context> tls;
    tcp::acceptor acceptor{io};
    asio::steady_timer retry{io};
    asio::steady_timer flush_timer{io};
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
    SummaryLog failed_logins{"failed login(s)"};
    SummaryLog limited{
        "connection(s) over a connection limit (longest idle closed or new refused)"};
    SummaryLog auth_busy{"login(s) answered 503 (password checks queue full)"};
    SummaryLog history_busy{"request(s) answered 503 (history reads queue full)"};
    std::thread thread;
    std::future<void> done;
    std::uint16_t port = 0;
    std::string address;
    bool stopping = false;

    Core(HttpOptions o, ServerSources s)
        : options(std::move(o)),
          handler(options, std::move(s)),
          verifier(options.basic_auth_user.empty() ? 0 : options.auth_threads, options.auth_queue),
          history_reads(1, options.history_queue) {}

    void do_accept();
    void on_accept(boost::system::error_code ec, tcp::socket socket);
    /// Makes room for a client from `peer`: false when every connection in the way is busy.
    bool make_room(std::string const& peer);
    void refuse(tcp::socket socket);
    /// Logs `line` (a SummaryLog answer) as a warning, when there is one.
    static void warn(std::optional<std::string> const& line);
    /// Flushes the summaries every few seconds while serving.
    void arm_flush();
};

}  // namespace portwatch::http::detail
