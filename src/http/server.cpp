#include "http/server.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include <charconv>
#include <filesystem>
#include <future>
#include <thread>
#include <unordered_map>

#include "http/handler.hpp"
#include "util/log.hpp"

namespace portwatch::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

/// One reporter for failures worth a log line; normal ends of a connection are not.
void fail(error_code ec, char const* what) {
    if (ec == asio::error::operation_aborted || ec == beast::error::timeout ||
        ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == ssl::error::stream_truncated)
        return;
    util::log::debug("http: {}: {}", what, ec.message());
}

/// A connection the server can close on stop().
class Connection {
  public:
    virtual ~Connection() = default;
    virtual void close() = 0;
};

/// The listener and what every connection shares; lives on the server's thread.
struct Core {
    HttpOptions options;
    Handler handler;
    asio::io_context io{1};
    std::optional<ssl::context> tls;
    tcp::acceptor acceptor{io};
    asio::steady_timer retry{io};
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
    std::thread thread;
    std::future<void> done;
    std::uint16_t port = 0;
    std::string address;
    bool stopping = false;

    Core(HttpOptions o, ServerSources s) : options(std::move(o)), handler(options, std::move(s)) {}

    void do_accept();
    void on_accept(error_code ec, tcp::socket socket);
    void refuse(tcp::socket socket);
};

/// One HTTP/1.1 connection: read a request, answer, repeat while keep-alive; a read that
/// waits longer than the idle timeout closes it. Kept alive by shared_from_this.
template <class Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
  public:
    template <class... Args>
    Session(Core& server, Args&&... args) : server_(server), stream_(std::forward<Args>(args)...) {}

    ~Session() override { server_.connections.erase(this); }

    void run() {
        server_.connections.emplace(this, this->weak_from_this());
        if constexpr (is_tls)
            do_handshake();
        else
            do_read();
    }

    void close() override {
        error_code ec;
        beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(stream_).close();
    }

  private:
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;
    using Response = bhttp::response<bhttp::span_body<char const>>;

    auto& lowest() { return beast::get_lowest_layer(stream_); }

    void do_handshake() {
        lowest().expires_after(server_.options.idle_timeout);
        stream_.async_handshake(
            ssl::stream_base::server,
            beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
    }

    void on_handshake(error_code ec) {
        if (ec)
            return fail(ec, "tls handshake");
        do_read();
    }

    void do_read() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
        parser_->body_limit(server_.options.max_body_bytes);
        lowest().expires_after(server_.options.idle_timeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
    }

    void on_read(error_code ec, std::size_t) {
        if (ec == bhttp::error::end_of_stream)
            return do_close();
        if (ec == bhttp::error::header_limit)
            return reply_error(bhttp::status::request_header_fields_too_large,
                               "request header too large\n");
        if (ec == bhttp::error::body_limit)
            return reply_error(bhttp::status::payload_too_large, "request body too large\n");
        if (ec && ec.category() == error_code(bhttp::error::bad_target).category() &&
            ec != bhttp::error::partial_message)
            return reply_error(bhttp::status::bad_request, "bad request\n");
        if (ec)
            return fail(ec, "read");

        auto const& req = parser_->get();
        Request request{
            .method = std::string(req.method_string()),
            .target = std::string(req.target()),
            .authorization = std::string(req[bhttp::field::authorization]),
            .accept = std::string(req[bhttp::field::accept]),
            .accept_encoding = std::string(req[bhttp::field::accept_encoding]),
        };
        Reply reply = server_.handler.handle(request);
        bool const head = req.method() == bhttp::verb::head;
        send(std::move(reply), req.version(), req.keep_alive(), head);
    }

    void reply_error(bhttp::status status, char const* message) {
        Reply reply{.status = static_cast<int>(status),
                    .body = std::make_shared<std::string const>(message)};
        send(std::move(reply), 11, false, false);
    }

    void send(Reply reply, unsigned version, bool keep_alive, bool head) {
        body_ = reply.body ? std::move(reply.body) : std::make_shared<std::string const>();
        res_.emplace(static_cast<bhttp::status>(reply.status), version);
        res_->set(bhttp::field::server, "portwatch");
        res_->set(bhttp::field::content_type, reply.content_type);
        res_->set("X-Content-Type-Options", "nosniff");
        res_->set(bhttp::field::cache_control, "no-store");
        for (auto const& [name, value] : reply.headers)
            res_->set(name, value);
        res_->keep_alive(keep_alive);
        if (head) {
            res_->content_length(body_->size());
        } else {
            res_->body() = bhttp::span_body<char const>::value_type(body_->data(), body_->size());
            res_->prepare_payload();
        }
        lowest().expires_after(server_.options.write_timeout);
        bhttp::async_write(
            stream_, *res_,
            beast::bind_front_handler(&Session::on_write, this->shared_from_this(), !keep_alive));
    }

    void on_write(bool close, error_code ec, std::size_t) {
        if (ec)
            return fail(ec, "write");
        res_.reset();
        body_.reset();
        if (close || server_.stopping)
            return do_close();
        do_read();
    }

    void do_close() {
        if constexpr (is_tls) {
            lowest().expires_after(std::chrono::seconds(2));
            stream_.async_shutdown(
                beast::bind_front_handler(&Session::on_shutdown, this->shared_from_this()));
        } else {
            error_code ec;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        }
    }

    void on_shutdown(error_code ec) {
        if (ec)
            fail(ec, "tls shutdown");
        lowest().close();
    }

    Core& server_;
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::optional<Response> res_;
    std::shared_ptr<std::string const> body_;
};

void Core::do_accept() {
    acceptor.async_accept(
        [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Core::on_accept(error_code ec, tcp::socket socket) {
    if (stopping || ec == asio::error::operation_aborted)
        return;
    if (ec) {
        // Out of file descriptors, most likely: wait a little instead of spinning.
        fail(ec, "accept");
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](error_code e) {
            if (!e && !stopping)
                do_accept();
        });
        return;
    }
    if (connections.size() >= options.max_connections) {
        refuse(std::move(socket));
    } else if (tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, std::move(socket),
                                                                        *tls)
            ->run();
    } else {
        std::make_shared<Session<beast::tcp_stream>>(*this, std::move(socket))->run();
    }
    do_accept();
}

void Core::refuse(tcp::socket socket) {
    // Over the connection limit: a best-effort 503 without waiting, then close.
    static constexpr std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n"
        "Retry-After: 1\r\n\r\n";
    error_code ec;
    if (!tls) {
        socket.non_blocking(true, ec);
        socket.write_some(asio::buffer(busy.data(), busy.size()), ec);
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

}  // namespace

struct Server::Impl : Core {
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
    asio::post(s.io, [&s] {
        s.stopping = true;
        error_code ec;
        s.acceptor.close(ec);
        s.retry.cancel();
        // Copy first: closing completes handlers that erase themselves.
        std::vector<std::shared_ptr<Connection>> open;
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
