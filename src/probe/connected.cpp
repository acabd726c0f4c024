#include "probe/connect.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "probe/connect_poller.hpp"
#include "probe/kind.hpp"
#include "probe/sockets.hpp"

// What follows a connect: the kind's steps (or its datagram transport), and for a plain
// connect the report at once and the graceful close.
namespace portwatch::probe {

using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto drain_bound = std::chrono::milliseconds(1000);
// A kind ends its steps by the deadline with its own reason (expect-timeout, with what it
// read); the engine's timer is the backstop, this much later.
constexpr auto steps_grace = std::chrono::milliseconds(250);

// Drained bytes are discarded; one buffer per thread serves every probe of its loop.
thread_local char discard_buffer[4096];

}  // namespace

// The first connection wins and the others are closed; a plain connect (tcp) is up now, a
// kind with steps runs them on the winner first. The engine's one check of a kind flag.
void Connector::connected(std::size_t i) {
    winner_ = i;
    ++stagger_gen_;
    stagger_.cancel();
    for (std::size_t j = 0; j < sockets_.size(); ++j) {
        if (j != i) {
            close_socket(j);
        }
    }
    // submit() kept the kind only when this request has steps (has_steps(request)).
    if (job_.kind != nullptr) {
        start_steps(i);
    } else {
        succeed(i);
    }
}

// The kind drives the socket through Asio from here: it leaves our poller for an Asio socket.
void Connector::start_steps(std::size_t i) {
    state_ = State::steps;
    arm_deadline(start_ + job_.request.timeout + steps_grace - Clock::now());
    auto& s = sockets_[i];
    if (s.token != 0) {
        poller_.release_fd(s.token, s.fd);
        s.token = 0;
    }
    stream_ = std::make_unique<tcp::socket>(io_);
    error_code ec;
    stream_->assign(addrs_[i].is_v6() ? tcp::v6() : tcp::v4(), s.fd, ec);
    if (ec) {
        fail(ProbeError::connect_failed,
             "connect to " + endpoint_text(addrs_[i], job_.request.port) + ": " + ec.message(),
             addrs_[i].to_string());
        return;
    }
    s.fd = -1;
    job_.kind->run_steps(
        StreamStep{*stream_, job_.request, start_ + job_.request.timeout, start_,
                   resolver_.weak_from_this()},
        [self = shared_from_this()](StepResult r) { self->on_steps_done(std::move(r)); });
}

void Connector::start_datagram() {
    state_ = State::steps;
    arm_deadline(start_ + job_.request.timeout + steps_grace - Clock::now());
    job_.kind->run_datagram(
        DatagramStep{io_,
                     {addrs_, naddrs_},
                     job_.request,
                     start_ + job_.request.timeout,
                     start_,
                     datagram_cancel_},
        [self = shared_from_this()](StepResult r) { self->on_steps_done(std::move(r)); });
}

// The kind is done; after the deadline or an abort the probe is closed and this is ignored.
void Connector::on_steps_done(StepResult step) {
    if (state_ != State::steps) {
        return;
    }
    if (step.error) {
        fail(step.error, std::move(step.detail),
             naddrs_ > 0 ? addrs_[winner_].to_string() : std::string(), std::move(step.facts));
        return;
    }
    close_now();
    ProbeResult r;
    r.up = true;
    r.detail = std::move(step.detail);
    r.facts = std::move(step.facts);
    r.latency = std::max(elapsed(), std::chrono::microseconds(1));
    r.address = naddrs_ > 0 ? addrs_[winner_].to_string() : std::string();
    host_->probe_done(*this, std::move(r));
    host_->probe_closed(*this);
}

// A plain connect: the result is reported at once, and the winner is closed gracefully
// afterwards.
void Connector::succeed(std::size_t i) {
    state_ = State::draining;
    ProbeResult r;
    r.up = true;
    r.latency = elapsed();
    if (r.latency.count() <= 0) {
        r.latency = std::chrono::microseconds(1);
    }
    r.address = addrs_[i].to_string();
    host_->probe_done(*this, std::move(r));
    if (state_ == State::draining) {
        // A port check is often answered by accept and close: when the peer's FIN is already
        // here, nothing is left unread and a plain close sends our FIN with no wait at all
        // (no shutdown, no timer, no reactor round trip).
        if (discard_input()) {
            finish_drain(false);
        } else {
            do_drain();
        }
    }
}

// FIN first, then read and discard until EOF or the drain bound, so that unread data (a
// banner) does not turn our close into an RST.
void Connector::do_drain() {
    if (::shutdown(sockets_[winner_].fd, SHUT_WR) != 0) {
        finish_drain(true);
        return;
    }
    arm_deadline(std::min<Clock::duration>(drain_bound, job_.request.timeout));
    if (sockets_[winner_].token == 0) {
        // Connected at once (no watch yet): input and the peer's FIN come from the poller.
        sockets_[winner_].token = poller_.watch(sockets_[winner_].fd, shared_from_this(), winner_);
        if (sockets_[winner_].token == 0) {
            finish_drain(true);
        }
    }
    // Otherwise the socket is watched already: edge-triggered input/hang-up events follow.
}

void Connector::on_drain_ready() {
    if (state_ != State::draining) {
        return;
    }
    if (discard_input()) {
        finish_drain(false);
    }
}

// Reads and discards what is there without blocking; true at EOF or on an error.
bool Connector::discard_input() {
    int const fd = sockets_[winner_].fd;
    for (;;) {
        ssize_t const n = ::recv(fd, discard_buffer, sizeof discard_buffer, MSG_DONTWAIT);
        if (n > 0) {
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
}

void Connector::finish_drain(bool drain_rest) {
    state_ = State::closed;
    ++deadline_gen_;
    deadline_.cancel();
    if (drain_rest && sockets_[winner_].fd >= 0) {
        // Whatever is left, without blocking.
        discard_input();
    }
    close_all();
    host_->probe_closed(*this);
}

}  // namespace portwatch::probe
