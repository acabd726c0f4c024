#include "http/server.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>

#include <charconv>
#include <filesystem>

#include "http/server_core.hpp"
#include "http/session.hpp"
#include "util/log.hpp"

namespace portwatch::http {
namespace detail {

void Core::do_accept() {
    acceptor.async_accept(
        [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Core::on_accept(error_code ec, tcp::socket socket) {
    if (stopping || ec == asio::error::operation_aborted) {
        return;
    }
    if (ec) {
        // Out of file descriptors, most likely: wait a little instead of spinning.
        fail(ec, "accept");
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](error_code e) {
            if (!e && !stopping) {
                do_accept();
            }
        });
        return;
    }
    error_code peer_ec;
    auto const peer = socket.remote_endpoint(peer_ec).address().to_string();
    if (!make_room(peer)) {
        refuse(std::move(socket));
    } else if (tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, peer,
                                                                        std::move(socket), *tls)
            ->run();
    } else {
        std::make_shared<Session<beast::tcp_stream>>(*this, peer, std::move(socket))->run();
    }
    do_accept();
}

bool Core::make_room(std::string const& peer) {
    // Within both limits: nothing to do. Otherwise the longest-waiting idle connection (of
    // that address, when it is the address's limit) gives its slot: idle and slow clients
    // cannot lock out a health check or a scrape.
    std::size_t from_peer = 0;
    Connection* oldest_any = nullptr;
    Connection* oldest_peer = nullptr;
    for (auto const& [c, weak] : connections) {
        bool const same = c->address() == peer;
        from_peer += same ? 1 : 0;
        if (!c->idle()) {
            continue;
        }
        if (oldest_any == nullptr || c->idle_since() < oldest_any->idle_since()) {
            oldest_any = c;
        }
        if (same && (oldest_peer == nullptr || c->idle_since() < oldest_peer->idle_since())) {
            oldest_peer = c;
        }
    }
    Connection* victim = nullptr;
    if (from_peer >= options.max_connections_per_address) {
        victim = oldest_peer;
        if (victim == nullptr) {
            warn(limited.note(peer, SteadyClock::now()));
            return false;
        }
    } else if (connections.size() >= options.max_connections) {
        victim = oldest_any;
        if (victim == nullptr) {
            warn(limited.note(peer, SteadyClock::now()));
            return false;
        }
    } else {
        return true;
    }
    warn(limited.note(victim->address(), SteadyClock::now()));
    if (auto keep = connections[victim].lock()) {
        keep->close();
    }
    return true;
}

void Core::refuse(tcp::socket socket) {
    // Every slot busy answering: a best-effort 503 without waiting, then close.
    static std::string const busy = [] {
        auto const body = render_error(503, "too many connections; retry");
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; "
               "charset=utf-8\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" +
               body;
    }();
    error_code ec;
    if (!tls) {
        socket.non_blocking(true, ec);
        socket.write_some(asio::buffer(busy.data(), busy.size()), ec);
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

void Core::warn(std::optional<std::string> const& line) {
    if (line) {
        util::log::warn("{}", *line);
    }
}

void Core::arm_flush() {
    flush_timer.expires_after(std::chrono::seconds(5));
    flush_timer.async_wait([this](error_code ec) {
        if (ec || stopping) {
            return;
        }
        auto const now = SteadyClock::now();
        for (auto* log : {&failed_logins, &limited, &auth_busy, &history_busy}) {
            warn(log->flush(now));
        }
        arm_flush();
    });
}

}  // namespace detail

struct Server::Impl : detail::Core {
    using Core::Core;
};

Server::Server(HttpOptions options, ServerSources sources)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(sources))) {}

Server::~Server() {
    stop();
}

namespace {

/// Why `path` cannot be opened for reading; empty when it can.
std::error_code unreadable(std::filesystem::path const& path) {
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {errno, std::generic_category()};
    ::close(fd);
    return {};
}

}  // namespace

util::Result<void> Server::start() {
    namespace asio = boost::asio;
    namespace ssl = boost::asio::ssl;
    using tcp = asio::ip::tcp;
    using boost::system::error_code;
    auto& s = *impl_;
    auto listen = parse_listen(s.options.listen);
    if (!listen)
        return listen.error();
    if (s.options.tls) {
        s.tls.emplace(ssl::context::tls_server);
        s.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
        // A file that cannot be read is named with the reason (OpenSSL would say "asio.ssl").
        for (auto const& [what, file] : {std::pair{"cert", &s.options.tls->cert_file},
                                         std::pair{"key", &s.options.tls->key_file}}) {
            if (auto const e = unreadable(*file))
                return util::Error{std::string("http.tls.") + what + ": cannot read " +
                                       file->string() + ": " + e.message(),
                                   e};
        }
        error_code ec;
        s.tls->use_certificate_chain_file(s.options.tls->cert_file.string(), ec);
        if (ec)
            return util::Error{
                "http.tls.cert: " + s.options.tls->cert_file.string() + ": " + ec.message(), ec};
        s.tls->use_private_key_file(s.options.tls->key_file.string(), ssl::context::pem, ec);
        if (ec)
            return util::Error{
                "http.tls.key: " + s.options.tls->key_file.string() + ": " + ec.message(), ec};
    }
    if (!s.options.basic_auth_user.empty() && s.options.basic_auth_hash.empty())
        return util::Error{"http.auth: basic auth user without a password hash"};

    error_code ec;
    auto const address = asio::ip::make_address(listen->first, ec);
    if (ec)
        return util::Error{"http.listen: bad address " + listen->first, ec};
    tcp::endpoint const endpoint(address, listen->second);
    s.acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        s.acceptor.bind(endpoint, ec);
    if (!ec)
        s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return util::Error{"http.listen " + s.options.listen + ": " + ec.message(), ec};
    s.port = s.acceptor.local_endpoint().port();
    s.address = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();

    s.do_accept();
    s.arm_flush();
    std::promise<void> finished;
    s.done = finished.get_future();
    s.thread = std::thread([&s, finished = std::move(finished)]() mutable {
        if (s.options.thread_nice != 0) {
            // Best effort: a thread's niceness is its own on Linux.
            errno = 0;
            int const base = ::getpriority(PRIO_PROCESS, 0);
            if (errno == 0)
                ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()),
                              std::min(19, base + s.options.thread_nice));
        }
        s.io.run();
        finished.set_value();
    });
    return {};
}

void Server::stop() {
    auto& s = *impl_;
    if (!s.thread.joinable())
        return;
    // Password checks and history reads first: an answer posted after this finds its session
    // gone or closed.
    s.verifier.stop();
    s.history_reads.stop();
    boost::asio::post(s.io, [&s] {
        s.stopping = true;
        boost::system::error_code ec;
        s.acceptor.close(ec);
        s.retry.cancel();
        s.flush_timer.cancel();
        // Copy first: closing completes handlers that erase themselves.
        std::vector<std::shared_ptr<detail::Connection>> open;
        for (auto& [ptr, weak] : s.connections) {
            if (auto c = weak.lock())
                open.push_back(std::move(c));
        }
        for (auto& c : open)
            c->close();
    });
    // Every handler ends once its socket is closed; bound the wait all the same.
    if (s.done.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
        s.io.stop();
    s.thread.join();
}

std::uint16_t Server::port() const {
    return impl_->port;
}

std::string Server::url() const {
    return std::string(impl_->tls ? "https://" : "http://") + impl_->address + ":" +
           std::to_string(impl_->port);
}

util::Result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view listen) {
    auto const colon = listen.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        return util::Error{"http.listen must be ADDRESS:PORT, got \"" + std::string(listen) + "\""};
    std::string host(listen.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host == "localhost")
        host = "127.0.0.1";
    auto const port_text = listen.substr(colon + 1);
    unsigned port = 0;
    auto const [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
        return util::Error{"http.listen: bad port in \"" + std::string(listen) + "\""};
    return std::pair{host, static_cast<std::uint16_t>(port)};
}

}  // namespace portwatch::http
