// The conversation of run_stream: steps, STARTTLS, TLS and the close, one do_x/on_x pair each.
#include <algorithm>
#include <array>
#include <memory>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "probe/expect.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

// How long the close waits for the peer's FIN after ours (or close_notify), so that what it
// still sends (a TLS session ticket) does not turn our close into an RST.
constexpr auto drain_bound = std::chrono::milliseconds(250);

std::string endpoint_of(tcp::socket& s) {
    error_code ec;
    auto const ep = s.remote_endpoint(ec);
    if (ec) {
        return "?";
    }
    auto const a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
           std::to_string(ep.port());
}

class StreamRun : public std::enable_shared_from_this<StreamRun> {
  public:
    StreamRun(StreamStep const& step, std::shared_ptr<KindOptions const> keep,
              StreamPlan const& plan, StepDone done)
        : socket_(step.socket),
          host_(step.request.host),
          deadline_(step.deadline),
          start_(step.start),
          timeout_ms_(step.request.timeout.count()),
          keep_(std::move(keep)),
          plan_(plan),
          done_(std::move(done)),
          timer_(step.socket.get_executor()),
          peer_(endpoint_of(step.socket)) {
        facts_.connect_time =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
    }

    void start() {
        arm(deadline_);
        next();
    }

  private:
    ExpectStep const& current() const {
        return index_ < plan_.steps.size() ? plan_.steps[index_]
                                           : plan_.starttls[index_ - plan_.steps.size()];
    }
    bool in_starttls() const { return index_ >= plan_.steps.size(); }
    std::string what() const {
        if (in_starttls()) {
            return plan_.starttls_name + " STARTTLS with " + peer_;
        }
        return "expect '" + current().expect_text + "' from " + peer_;
    }

    // The timer: at the deadline, and for the close's drain.
    void arm(Clock::time_point at) {
        timer_.expires_at(at);
        timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && !self->finished_) {
                self->expired_ = true;
                error_code ignored;
                self->socket_.cancel(ignored);
            }
        });
    }

    // The next step, STARTTLS step, the handshake or the close.
    void next() {
        if (index_ == plan_.steps.size() + plan_.starttls.size()) {
            if (plan_.tls != nullptr && !tls_) {
                do_handshake();
            } else {
                do_close();
            }
            return;
        }
        auto const& s = current();
        if (s.send.empty()) {
            do_read();
            return;
        }
        asio::async_write(
            socket_, asio::buffer(s.send),
            [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
    }

    void on_write(error_code ec) {
        if (ec) {
            fail_io(ec, "send");
            return;
        }
        do_read();
    }

    void do_read() {
        if (!current().expect) {
            ++index_;
            next();
            return;
        }
        if (match()) {  // left over from the previous step
            return;
        }
        auto const room = std::min(chunk_.size(), expect_read_limit - received_.size());
        socket_.async_read_some(
            asio::buffer(chunk_.data(), room),
            [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(error_code ec, std::size_t n) {
        received_.append(chunk_.data(), n);
        if (!ec && match()) {
            return;
        }
        if (ec) {
            fail_io(ec, "read");
            return;
        }
        if (received_.size() >= expect_read_limit) {
            fail(in_starttls() ? StreamError::starttls_failed : StreamError::expect_mismatch,
                 what() + ": no match in the first " + std::to_string(expect_read_limit) +
                     " bytes: '" + escape_bytes(received_) + "'");
            return;
        }
        do_read();
    }

    // Applies the step's pattern to what arrived; true when it matched (and went on) or failed.
    bool match() {
        auto const& s = current();
        std::smatch m;
        if (!std::regex_search(received_, m, *s.expect)) {
            return false;
        }
        auto const reply =
            received_.substr(0, static_cast<std::size_t>(m.position(0) + m.length(0)));
        if (s.accept && !std::regex_search(reply, *s.accept)) {
            fail(StreamError::starttls_failed, what() + ": refused: '" + escape_bytes(reply) + "'");
            return true;
        }
        received_.erase(0, reply.size());
        if (facts_.first_byte_time.count() == 0) {
            facts_.first_byte_time =
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
        }
        ++index_;
        next();
        return true;
    }

    void fail_io(error_code ec, char const* op) {
        auto const got = "'" + escape_bytes(received_) + "'";
        if (expired_) {
            if (in_starttls()) {
                fail(ProbeError::timeout, what() + ": no answer within " +
                                              std::to_string(timeout_ms_) + " ms; got " + got);
            } else {
                fail(StreamError::expect_timeout, what() + ": no match within " +
                                                      std::to_string(timeout_ms_) + " ms; got " +
                                                      got);
            }
            return;
        }
        std::string const how =
            ec == asio::error::eof ? "the peer closed" : std::string(op) + ": " + ec.message();
        fail(in_starttls() ? StreamError::starttls_failed : StreamError::expect_mismatch,
             what() + ": " + how + " after " + got);
    }

    void do_handshake() {
        received_.clear();
        tls_ = std::make_shared<TlsClient>(*plan_.tls, socket_, host_);
        tls_->handshake(start_, [self = shared_from_this()](StepResult r) {
            self->on_handshake(std::move(r));
        });
    }

    void on_handshake(StepResult r) {
        facts_.cert_not_after = r.facts.cert_not_after;
        facts_.cert_subject = std::move(r.facts.cert_subject);
        facts_.cert_issuer = std::move(r.facts.cert_issuer);
        facts_.tls_version = std::move(r.facts.tls_version);
        facts_.tls_time = r.facts.tls_time;
        if (expired_) {
            fail(ProbeError::timeout, "tls handshake with " + peer_ + ": no answer within " +
                                          std::to_string(timeout_ms_) + " ms");
            return;
        }
        if (r.error) {
            fail(r.error, std::move(r.detail));
            return;
        }
        tls_->close_notify([self = shared_from_this()] { self->do_close(); });
    }

    // FIN, then discard until the peer's FIN within the drain bound; the result is up.
    void do_close() {
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        if (expired_) {
            finish({});  // the deadline came during close_notify: the probe had passed
            return;
        }
        arm(std::min(deadline_, Clock::now() + drain_bound));
        do_drain();
    }

    void do_drain() {
        socket_.async_read_some(asio::buffer(chunk_),
                                [self = shared_from_this()](error_code ec, std::size_t) {
                                    if (ec) {
                                        self->finish({});
                                    } else {
                                        self->do_drain();
                                    }
                                });
    }

    void fail(std::error_code e, std::string detail) { finish({e, std::move(detail)}); }

    void finish(StepResult r) {
        if (finished_) {
            return;
        }
        finished_ = true;
        timer_.cancel();
        r.facts = facts_;
        auto done = std::move(done_);
        done(std::move(r));
    }

    tcp::socket& socket_;
    std::string host_;
    Clock::time_point deadline_;
    Clock::time_point start_;
    long long timeout_ms_;
    std::shared_ptr<KindOptions const> keep_;  // plan_ lives in it
    StreamPlan const& plan_;
    StepDone done_;
    asio::steady_timer timer_;
    std::string peer_;
    ProbeFacts facts_;
    std::shared_ptr<TlsClient> tls_;
    std::size_t index_ = 0;
    std::string received_;
    std::array<char, 4096> chunk_{};
    bool expired_ = false;
    bool finished_ = false;
};

}  // namespace

void run_stream(StreamStep const& step, std::shared_ptr<KindOptions const> keep,
                StreamPlan const& plan, StepDone done) {
    std::make_shared<StreamRun>(step, std::move(keep), plan, std::move(done))->start();
}

}  // namespace portwatch::probe
