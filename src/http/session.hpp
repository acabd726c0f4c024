#pragma once

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <ctime>

#include "http/api.hpp"
#include "http/server_core.hpp"
#include "util/log.hpp"

namespace portwatch::http::detail {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using beast::error_code;

/// One reporter for failures worth a log line; normal ends of a connection are not.
inline void fail(error_code ec, char const* what) {
    if (ec == asio::error::operation_aborted || ec == beast::error::timeout ||
        ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == ssl::error::stream_truncated) {
        return;
    }
    util::log::debug("http: {}: {}", what, ec.message());
}

/// The Date header's value for now (RFC 9110 IMF-fixdate).
inline std::string http_date() {
    std::time_t const t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

/// "http://host:port/path?q" (absolute form, RFC 9112 3.2.2) as "/path?q"; others unchanged.
inline std::string origin_form(std::string_view target) {
    auto const lower_starts = [&](std::string_view prefix) {
        if (target.size() < prefix.size()) {
            return false;
        }
        for (std::size_t i = 0; i < prefix.size(); ++i) {
            if (std::tolower(static_cast<unsigned char>(target[i])) != prefix[i]) {
                return false;
            }
        }
        return true;
    };
    std::size_t skip = lower_starts("http://") ? 7 : lower_starts("https://") ? 8 : 0;
    if (skip == 0) {
        return std::string(target);
    }
    auto const path = target.find_first_of("/?", skip);
    if (path == std::string_view::npos) {
        return "/";
    }
    std::string out(target.substr(path));
    return out.front() == '?' ? "/" + out : out;
}

/// One HTTP/1.1 connection: read a request, answer, repeat while keep-alive. A request
/// must arrive whole within header_timeout (a fresh connection: the shorter of it and
/// idle_timeout); between keep-alive requests the wait for a first byte is idle_timeout.
/// Password checks go to the verifier and the answer is written when the verdict is posted
/// back; requests that read history are handled on the history thread and their answer
/// posted back the same way. Kept alive by shared_from_this (and by self_ while a verdict or
/// a history answer is pending).
template <class Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
  public:
    template <class... Args>
    Session(Core& server, std::string address, Args&&... args)
        : server_(server), address_(std::move(address)), stream_(std::forward<Args>(args)...) {}

    ~Session() override { server_.connections.erase(this); }

    void run() {
        server_.connections.emplace(this, this->weak_from_this());
        waiting();
        if constexpr (is_tls) {
            lowest().expires_after(
                std::min(server_.options.idle_timeout, server_.options.header_timeout));
            stream_.async_handshake(
                ssl::stream_base::server,
                beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
        } else {
            do_read_request();
        }
    }

    void close() override {
        closed_ = true;
        error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().close();
        self_.reset();
    }

    bool idle() const override { return idle_; }
    SteadyClock::time_point idle_since() const override { return since_; }
    std::string const& address() const override { return address_; }

  private:
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;
    using Response = bhttp::response<bhttp::span_body<char const>>;

    auto& lowest() { return beast::get_lowest_layer(stream_); }

    void waiting() {
        idle_ = true;
        since_ = SteadyClock::now();
    }

    void on_handshake(error_code ec) {
        if (ec) {
            return fail(ec, "tls handshake");
        }
        do_read_request();
    }

    /// Keep-alive: wait up to idle_timeout for the next request's first bytes.
    void do_wait() {
        waiting();
        if (buffer_.size() > 0) {
            return do_read_request();  // pipelined
        }
        lowest().expires_after(server_.options.idle_timeout);
        stream_.async_read_some(
            buffer_.prepare(4096),
            beast::bind_front_handler(&Session::on_first_bytes, this->shared_from_this()));
    }

    void on_first_bytes(error_code ec, std::size_t n) {
        if (ec) {
            return fail(ec, "read");
        }
        buffer_.commit(n);
        do_read_request();
    }

    void do_read_request() {
        auto const deadline =
            first_ ? std::min(server_.options.idle_timeout, server_.options.header_timeout)
                   : server_.options.header_timeout;
        first_ = false;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
        parser_->body_limit(server_.options.max_body_bytes);
        lowest().expires_after(deadline);
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
    }

    /// True when the request line was over the target limit, or never ended before the
    /// header limit (the parser keeps the target once the request line is through).
    bool request_line_too_long() {
        auto const target = parser_->get().target();
        return target.empty() || target.size() > server_.options.max_target_bytes;
    }

    void on_read(error_code ec, std::size_t) {
        idle_ = false;
        if (ec == bhttp::error::end_of_stream) {
            return do_close();
        }
        if (ec == bhttp::error::header_limit) {
            if (request_line_too_long()) {
                return reply_error(414, "request target too long");
            }
            return reply_error(431, "request header too large");
        }
        if (ec == bhttp::error::body_limit) {
            return reply_error(413, "request body too large");
        }
        if (ec && ec.category() == error_code(bhttp::error::bad_target).category() &&
            ec != bhttp::error::partial_message) {
            return reply_error(400, "bad request");
        }
        if (ec) {
            return fail(ec, "read");
        }
        auto const& req = parser_->get();
        if (req.target().size() > server_.options.max_target_bytes) {
            return reply_error(414, "request target too long");
        }
        version_ = req.version();
        keep_alive_ = req.keep_alive();
        head_ = req.method() == bhttp::verb::head;
        request_ = Request{
            .method = std::string(req.method_string()),
            .target = origin_form(std::string_view(req.target().data(), req.target().size())),
            .authorization = std::string(req[bhttp::field::authorization]),
            .accept = std::string(req[bhttp::field::accept]),
            .accept_encoding = std::string(req[bhttp::field::accept_encoding]),
            .peer = address_,
        };
        if (!server_.handler.needs_auth(request_)) {
            return answer();
        }
        Credential credential;
        switch (server_.handler.auth().check(request_.authorization, credential)) {
            case Authenticator::Step::allowed:
                return answer();
            case Authenticator::Step::denied:
                return deny();
            case Authenticator::Step::verify:
                return verify(std::move(credential));
        }
    }

    void verify(Credential credential) {
        auto digest = credential.digest;
        auto weak = this->weak_from_this();
        auto& io = server_.io;
        auto const& auth = server_.handler.auth();
        bool const queued = server_.verifier.submit(
            [&io, &auth, weak, credential = std::move(credential)] {
                bool const ok = auth.verify(credential);
                asio::post(io, [weak, ok] {
                    if (auto self = weak.lock()) {
                        self->on_verdict(ok);
                    }
                });
            },
            address_);
        if (!queued) {
            Core::warn(server_.auth_busy.note(address_, SteadyClock::now()));
            return busy("too many logins being checked; retry");
        }
        digest_ = std::move(digest);
        self_ = this->shared_from_this();  // nothing else holds us until the verdict
    }

    void on_verdict(bool ok) {
        auto keep = std::move(self_);
        if (closed_) {
            return;
        }
        if (!ok) {
            return deny();
        }
        server_.handler.auth().remember(std::move(digest_));
        answer();
    }

    void answer() {
        if (server_.handler.needs_history(request_)) {
            return read_history();
        }
        send(server_.handler.handle(request_), version_, keep_alive_, head_);
    }

    /// Handles the request on the history thread and writes its answer when it is posted back.
    void read_history() {
        auto weak = this->weak_from_this();
        auto& io = server_.io;
        auto& handler = server_.handler;
        bool const queued = server_.history_reads.submit([&io, &handler, weak, req = request_] {
            auto reply = std::make_shared<Reply>(handler.handle(req));
            asio::post(io, [weak, reply] {
                if (auto self = weak.lock()) {
                    self->on_history_reply(std::move(*reply));
                }
            });
        });
        if (!queued) {
            Core::warn(server_.history_busy.note(address_, SteadyClock::now()));
            return busy("too many history reads waiting; retry");
        }
        self_ = this->shared_from_this();  // nothing else holds us until the reply
    }

    void on_history_reply(Reply reply) {
        auto keep = std::move(self_);
        if (closed_) {
            return;
        }
        send(std::move(reply), version_, keep_alive_, head_);
    }

    /// A 503 with Retry-After, closing the connection: a queue off this thread is full.
    void busy(std::string_view message) {
        Reply reply{.status = 503,
                    .content_type = "application/json; charset=utf-8",
                    .body = std::make_shared<std::string const>(render_error(503, message)),
                    .headers = {{"Retry-After", "1"}}};
        send(std::move(reply), version_, false, head_);
    }

    void deny() {
        Core::warn(server_.failed_logins.note(address_, SteadyClock::now()));
        send(server_.handler.unauthorized(), version_, keep_alive_, head_);
    }

    void reply_error(int status, std::string_view message) {
        Reply reply{.status = status,
                    .content_type = "application/json; charset=utf-8",
                    .body = std::make_shared<std::string const>(render_error(status, message))};
        send(std::move(reply), 11, false, false);
    }

    void send(Reply reply, unsigned version, bool keep_alive, bool head) {
        body_ = reply.body ? std::move(reply.body) : std::make_shared<std::string const>();
        res_.emplace(static_cast<bhttp::status>(reply.status), version);
        res_->set(bhttp::field::server, "portwatch");
        res_->set(bhttp::field::date, http_date());
        res_->set(bhttp::field::content_type, reply.content_type);
        res_->set("X-Content-Type-Options", "nosniff");
        res_->set(bhttp::field::cache_control, "no-store");
        for (auto const& [name, value] : reply.headers) {
            res_->set(name, value);
        }
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
        if (ec) {
            return fail(ec, "write");
        }
        res_.reset();
        body_.reset();
        if (close || server_.stopping) {
            return do_close();
        }
        do_wait();
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
        if (ec) {
            fail(ec, "tls shutdown");
        }
        lowest().close();
    }

    Core& server_;
    std::string address_;
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::optional<Response> res_;
    std::shared_ptr<std::string const> body_;
    Request request_;
    unsigned version_ = 11;
    bool keep_alive_ = false;
    bool head_ = false;
    bool idle_ = true;
    bool closed_ = false;
    bool first_ = true;
    SteadyClock::time_point since_;
    std::string digest_;
    std::shared_ptr<Session> self_;
};

}  // namespace portwatch::http::detail
