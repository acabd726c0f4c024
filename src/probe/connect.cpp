#include "probe/connect.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "probe/connect_poller.hpp"
#include "probe/kind.hpp"
#include "probe/sockets.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;
namespace ip = boost::asio::ip;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto stagger_delay = std::chrono::milliseconds(250);

}  // namespace

Connector::Connector(asio::io_context& io, std::shared_ptr<ProbeHost> host, Resolver& resolver,
                     Job job)
    : io_(io),
      host_(std::move(host)),
      resolver_(resolver),
      job_(std::move(job)),
      poller_(asio::use_service<ConnectPoller>(io)),
      deadline_(io),
      stagger_(io) {}

Connector::~Connector() {
    close_all();
}

std::chrono::microseconds Connector::elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
}

void Connector::arm_deadline(Clock::duration d) {
    deadline_.expires_after(d);
    deadline_.async_wait([self = shared_from_this(), gen = ++deadline_gen_](error_code ec) {
        self->on_deadline(gen, ec);
    });
}

// Start: one deadline for DNS + connect, then a literal or a lookup.
void Connector::start() {
    start_ = Clock::now();
    arm_deadline(job_.request.timeout);
    std::string_view host = job_.request.host;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    error_code ec;
    literal_ = ip::make_address(host, ec);
    if (!ec) {
        addrs_ = &literal_;
        naddrs_ = 1;
        on_addresses();
        return;
    }
    if (host.empty()) {
        fail(ProbeError::dns_failure, "resolve: empty host name", "");
        return;
    }
    state_ = State::resolving;
    if (auto r = resolver_.resolve(job_.request.host, weak_from_this())) {
        on_resolved(r);
    }
}

void Connector::on_resolved(std::shared_ptr<Resolution const> const& r) {
    if (state_ != State::resolving) {
        return;
    }
    if (r->error != ProbeError::none) {
        fail(r->error, r->detail, "");
        return;
    }
    resolution_ = r;
    addrs_ = r->addresses.data();
    naddrs_ = r->addresses.size();
    on_addresses();
}

// A datagram kind takes the addresses itself; every other kind starts with the connect.
void Connector::on_addresses() {
    if (job_.kind != nullptr && job_.kind->transport() == Kind::Transport::datagram) {
        start_datagram();
        return;
    }
    sockets_.reserve(naddrs_);
    state_ = State::connecting;
    do_connect();
}

// Connect to the next address; the following one starts after the stagger or on failure.
// connect() is called by hand on a socket made non-blocking at birth, and readiness comes
// from the ConnectPoller: socket, connect, one epoll ADD, getsockopt, close.
void Connector::do_connect() {
    while (next_addr_ < naddrs_) {
        std::size_t const i = next_addr_;
        tcp::endpoint const ep(addrs_[i], job_.request.port);
        if (sockets_.size() == i) {
            sockets_.emplace_back();
        }
        int const fd =
            ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int const open_err = fd < 0 ? errno : 0;
        if (open_err == EMFILE || open_err == ENFILE) {
            on_fd_exhausted();
            return;
        }
        ++next_addr_;
        if (fd < 0) {
            record_failure(i, classify_connect_error(open_err),
                           "socket for " + endpoint_text(addrs_[i], job_.request.port) + ": " +
                               std::strerror(open_err));
            continue;
        }
        sockets_[i].fd = fd;
        int const rc = ::connect(fd, ep.data(), static_cast<socklen_t>(ep.size()));
        int const err = rc == 0 ? 0 : errno;
        if (rc != 0 && err != EINPROGRESS) {
            close_socket(i);
            record_failure(i, classify_connect_error(err),
                           "connect to " + endpoint_text(addrs_[i], job_.request.port) + ": " +
                               std::strerror(err));
            continue;
        }
        if (rc == 0) {
            connected(i);
            return;
        }
        sockets_[i].token = poller_.watch(fd, shared_from_this(), i);
        if (sockets_[i].token == 0) {
            int const werr = errno;
            close_socket(i);
            if (werr == EMFILE || werr == ENFILE) {
                --next_addr_;  // this address again, later
                on_fd_exhausted();
                return;
            }
            record_failure(i, ProbeError::connect_failed,
                           "watch " + endpoint_text(addrs_[i], job_.request.port) + ": " +
                               std::strerror(werr));
            continue;
        }
        ++in_flight_;
        if (next_addr_ < naddrs_) {
            stagger_.expires_after(stagger_delay);
            stagger_.async_wait([self = shared_from_this(), gen = ++stagger_gen_](error_code e) {
                self->on_stagger(gen, e);
            });
        }
        return;
    }
    if (in_flight_ == 0) {
        fail_best();
    }
}

// Closed for good: no timer may fire for it any more, every socket is closed.
void Connector::close_now() {
    state_ = State::closed;
    ++deadline_gen_;
    ++stagger_gen_;
    deadline_.cancel();
    stagger_.cancel();
    close_all();
    if (datagram_cancel_) {
        // A datagram kind's own sockets and timers; its late `done` finds us closed.
        auto const cancel = std::move(datagram_cancel_);
        datagram_cancel_ = nullptr;
        cancel();
    }
}

// Not DOWN: retry the address once a socket frees up, or hand the job back to the host.
void Connector::on_fd_exhausted() {
    bool const requeue = in_flight_ == 0;
    if (requeue) {
        close_now();
    }
    host_->probe_fd_exhausted(*this, requeue);
}

void Connector::on_ready(std::size_t i, std::uint32_t /*events*/) {
    if (state_ == State::connecting) {
        on_connect(i);
    } else if (state_ == State::draining && i == winner_) {
        on_drain_ready();
    }
}

void Connector::on_connect(std::size_t i) {
    if (state_ != State::connecting || i >= sockets_.size() || sockets_[i].fd < 0) {
        return;
    }
    int const fd = sockets_[i].fd;
    --in_flight_;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    if (err == 0 && addrs_[i].is_loopback() && in_ephemeral_range(job_.request.port)) {
        // A loopback port inside the ephemeral range can "connect" to itself (TCP
        // simultaneous open) when nothing listens there: that is a refusal, not UP.
        tcp::endpoint local;
        socklen_t llen = static_cast<socklen_t>(local.capacity());
        if (::getsockname(fd, local.data(), &llen) == 0) {
            local.resize(llen);
            if (local == tcp::endpoint(addrs_[i], job_.request.port)) {
                err = ECONNREFUSED;
            }
        }
    }
    if (err == 0) {
        connected(i);
        return;
    }
    close_socket(i);
    record_failure(
        i, classify_connect_error(err),
        "connect to " + endpoint_text(addrs_[i], job_.request.port) + ": " + std::strerror(err));
    // A failure starts the next address at once.
    do_connect();
}

void Connector::on_stagger(std::uint32_t gen, error_code ec) {
    if (ec || gen != stagger_gen_ || state_ != State::connecting) {
        return;
    }
    do_connect();
}

void Connector::on_deadline(std::uint32_t gen, error_code ec) {
    if (ec || gen != deadline_gen_) {
        return;
    }
    auto const ms = std::to_string(job_.request.timeout.count()) + " ms";
    switch (state_) {
        case State::resolving:
            fail(ProbeError::dns_timeout,
                 "resolve " + job_.request.host + ": no answer within " + ms, "");
            break;
        case State::connecting: {
            std::size_t const last = next_addr_ > 0 ? next_addr_ - 1 : 0;
            std::string address = naddrs_ > 0 ? addrs_[last].to_string() : std::string();
            std::string const where =
                naddrs_ > 0 ? endpoint_text(addrs_[last], job_.request.port) : job_.request.host;
            fail(ProbeError::timeout, "connect to " + where + ": no answer within " + ms,
                 std::move(address));
            break;
        }
        case State::steps:
            fail(ProbeError::timeout,
                 std::string(job_.kind->name()) + " on " +
                     endpoint_text(addrs_[winner_], job_.request.port) + ": no answer within " + ms,
                 addrs_[winner_].to_string());
            break;
        case State::draining:
            finish_drain(true);
            break;
        default:
            break;
    }
}

void Connector::record_failure(std::size_t i, ProbeError e, std::string detail) {
    if (best_error_ == ProbeError::none || failure_rank(e) > failure_rank(best_error_)) {
        best_error_ = e;
        best_index_ = i;
        best_detail_ = std::move(detail);
    }
}

void Connector::fail_best() {
    auto address = naddrs_ > 0 ? addrs_[best_index_].to_string() : std::string();
    fail(best_error_ == ProbeError::none ? ProbeError::connect_failed : best_error_,
         std::move(best_detail_), std::move(address));
}

void Connector::fail(std::error_code e, std::string detail, std::string address, ProbeFacts facts) {
    close_now();
    ProbeResult r;
    r.facts = std::move(facts);
    r.up = false;
    r.error = e;
    r.detail = std::move(detail);
    r.latency = elapsed();
    r.address = std::move(address);
    host_->probe_done(*this, std::move(r));
    host_->probe_closed(*this);
}

void Connector::close_socket(std::size_t i) {
    auto& s = sockets_[i];
    if (s.token != 0) {
        poller_.unwatch(s.token);
        s.token = 0;
    }
    if (s.fd >= 0) {
        ::close(s.fd);
        s.fd = -1;
    }
}

void Connector::close_all() {
    for (std::size_t i = 0; i < sockets_.size(); ++i) {
        close_socket(i);
    }
    if (stream_) {
        // Cancels what the kind has pending; its handlers run later and find us closed.
        error_code ignored;
        stream_->shutdown(tcp::socket::shutdown_send, ignored);
        stream_->close(ignored);
    }
}

void Connector::abort() {
    switch (state_) {
        case State::idle:
        case State::resolving:
        case State::connecting:
        case State::steps:
            fail(
                ProbeError::cancelled, "probe cancelled: engine stopped",
                naddrs_ > 0 && next_addr_ > 0 ? addrs_[next_addr_ - 1].to_string() : std::string());
            break;
        case State::draining:
            finish_drain(true);
            break;
        case State::closed:
            break;
    }
}

}  // namespace portwatch::probe
