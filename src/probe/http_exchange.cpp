// One hop of an HTTP(S) probe: the connection for a redirect, TLS, the request, the first
// byte, the header and a bounded body.
#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "probe/http_session.hpp"
#include "probe/tls_client.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

/// The body is read this far for the regex, then the probe stops reading.
constexpr std::size_t body_read_bound = 64 * 1024;
constexpr std::uint32_t header_bound = 16 * 1024;
constexpr char const* user_agent = "portwatch/" PORTWATCH_VERSION;

// Connect and resolve errors in the engine's own terms.
std::error_code connect_reason(error_code ec) {
    namespace e = asio::error;
    if (ec == e::connection_refused) {
        return make_error_code(ProbeError::refused);
    }
    if (ec == e::host_unreachable) {
        return make_error_code(ProbeError::host_unreachable);
    }
    if (ec == e::network_unreachable) {
        return make_error_code(ProbeError::network_unreachable);
    }
    return make_error_code(ProbeError::connect_failed);
}

// The TLS client's callback handshake as an awaitable (resumed through the executor).
asio::awaitable<StepResult> await_handshake(TlsClient& tls,
                                            std::chrono::steady_clock::time_point start) {
    auto ex = co_await asio::this_coro::executor;
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(StepResult)>(
        [&tls, start, ex](auto handler) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            tls.handshake(start, [h, ex](StepResult r) {
                asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
            });
        },
        asio::use_awaitable);
}

}  // namespace

asio::awaitable<StepResult> HttpSession::connect(HttpUrl const& url) {
    auto ex = co_await asio::this_coro::executor;
    error_code ec;
    own_socket_.reset();
    own_socket_.emplace(ex);
    active_ = &*own_socket_;
    std::vector<asio::ip::tcp::endpoint> endpoints;
    auto const literal = asio::ip::make_address(url.host, ec);
    if (url.host == options_.url.host && url.port == options_.url.port) {
        // The same server: the address the engine connected to.
        endpoints.push_back(origin_);
    } else if (!ec) {
        endpoints.emplace_back(literal, url.port);
    } else {
        // Another host: the engine's resolver, as for the first hop.
        auto const r = co_await lookup(url.host);
        if (timed_out_) {
            co_return io_failure(asio::error::timed_out, "address for " + url.host, url,
                                 make_error_code(ProbeError::dns_timeout));
        }
        if (r->error != ProbeError::none) {
            co_return StepResult{make_error_code(r->error),
                                 fmt::format("{} {}: {}", method_, url.text(), r->detail)};
        }
        for (auto const& a : r->addresses) {
            endpoints.emplace_back(a, url.port);
        }
    }
    ec = {};
    co_await asio::async_connect(*own_socket_, endpoints,
                                 asio::redirect_error(asio::use_awaitable, ec));
    if (timed_out_ || ec) {
        co_return io_failure(ec, "connection to " + url.authority(), url, connect_reason(ec));
    }
    facts_.connect_time = since_start();
    facts_.tls_time = {};
    co_return StepResult{};
}

asio::awaitable<std::shared_ptr<Resolution const>> HttpSession::lookup(std::string const& host) {
    auto ex = co_await asio::this_coro::executor;
    auto const resolver = resolver_.lock();
    if (!resolver) {
        auto r = std::make_shared<Resolution>();
        r->error = ProbeError::dns_failure;
        r->detail = "resolve " + host + ": no resolver (the engine is gone)";
        co_return r;
    }
    auto r = co_await asio::async_initiate<decltype(asio::use_awaitable),
                                           void(std::shared_ptr<Resolution const>)>(
        [&](auto handler) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            auto const waiter =
                std::make_shared<RedirectLookup>([h, ex](std::shared_ptr<Resolution const> r) {
                    // Resumed through the executor, never inside the resolver's callback.
                    asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
                });
            lookup_ = waiter;
            if (auto cached = resolver->resolve(host, waiter)) {
                waiter->on_resolved(cached);
            }
        },
        asio::use_awaitable);
    lookup_.reset();
    co_return r;
}

asio::awaitable<StepResult> HttpSession::hop(Socket& socket, HttpUrl const& url,
                                             std::string const& method, std::string const& body,
                                             bool read_body, HttpAnswer& answer) {
    active_ = &socket;
    if (!url.https) {
        co_return co_await exchange(socket, url, method, body, read_body, answer);
    }
    auto tls = std::make_shared<TlsClient>(*options_.tls_options, socket, url.host);
    auto r = co_await await_handshake(*tls, start_);
    // The certificate is a fact even when the handshake or its verification failed.
    facts_.cert_not_after = r.facts.cert_not_after;
    facts_.cert_subject = r.facts.cert_subject;
    facts_.cert_issuer = r.facts.cert_issuer;
    facts_.tls_version = r.facts.tls_version;
    facts_.tls_time = r.facts.tls_time;
    if (timed_out_) {
        co_return io_failure(asio::error::operation_aborted, "TLS handshake", url, r.error);
    }
    if (r.error) {
        co_return r;
    }
    co_return co_await exchange(tls->stream(), url, method, body, read_body, answer);
}

template <class Stream>
asio::awaitable<StepResult> HttpSession::exchange(Stream& stream, HttpUrl const& url,
                                                  std::string const& method,
                                                  std::string const& body, bool read_body,
                                                  HttpAnswer& answer) {
    auto const protocol = make_error_code(HttpError::protocol);
    error_code ec;
    // The request: defaults first, the configured headers replace them by name.
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(url.target);
    req.version(11);
    req.set(http::field::host, url.authority());
    req.set(http::field::user_agent, user_agent);
    req.set(http::field::accept, "*/*");
    req.set(http::field::connection, "close");
    for (auto const& [name, value] : options_.headers) {
        req.set(name, value);
    }
    if (!body.empty()) {
        req.body() = body;
        req.prepare_payload();
    }
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (timed_out_ || ec) {
        co_return io_failure(ec, "request", url, protocol);
    }

    // The first byte of the answer, timed apart from the rest of its header.
    boost::beast::flat_buffer buffer;
    auto const n = co_await stream.async_read_some(buffer.prepare(4096),
                                                   asio::redirect_error(asio::use_awaitable, ec));
    buffer.commit(n);
    if (timed_out_) {
        co_return io_failure(ec, "response", url, protocol);
    }
    if (n == 0) {
        co_return StepResult{protocol, fmt::format("{} {}: closed before a response ({})", method,
                                                   url.text(), ec.message())};
    }
    facts_.first_byte_time = since_start();

    http::response_parser<http::buffer_body> parser;
    parser.header_limit(header_bound);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.skip(method == "HEAD");
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (timed_out_ || ec) {
        co_return io_failure(ec, "response header", url, protocol);
    }
    auto const& res = parser.get();
    answer.status = static_cast<int>(res.result_int());
    facts_.http_status = answer.status;
    answer.location = std::string(res[http::field::location]);
    if (!read_body || !options_.status_ok(answer.status)) {
        co_return StepResult{};
    }

    // The body, up to the bound: enough for the regex, and a large answer costs no more.
    std::array<char, 16 * 1024> chunk{};
    while (!parser.is_done() && answer.body.size() < body_read_bound) {
        auto const room = std::min(chunk.size(), body_read_bound - answer.body.size());
        parser.get().body().data = chunk.data();
        parser.get().body().size = room;
        co_await http::async_read_some(stream, buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
        answer.body.append(chunk.data(), room - parser.get().body().size);
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (timed_out_ || ec) {
            co_return io_failure(ec, "complete body", url, protocol);
        }
    }
    co_return StepResult{};
}

}  // namespace portwatch::probe
