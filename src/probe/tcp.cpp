#include "probe/tcp.hpp"

#include <cerrno>
#include <string>

#include <boost/asio/buffer.hpp>

namespace portwatch::probe {

namespace asio = boost::asio;
namespace ip = boost::asio::ip;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto stagger_delay = std::chrono::milliseconds(250);
constexpr auto drain_bound = std::chrono::milliseconds(1000);

// Drained bytes are discarded; one buffer per thread serves every probe of its loop.
thread_local char discard_buffer[4096];

// How telling a failure is, when several addresses failed differently.
int rank(ProbeError e) {
    switch (e) {
        case ProbeError::refused:
            return 5;
        case ProbeError::timeout:
            return 4;
        case ProbeError::host_unreachable:
            return 3;
        case ProbeError::connect_failed:
            return 2;
        case ProbeError::network_unreachable:
            return 1;
        default:
            return 0;
    }
}

bool is_fd_exhaustion(error_code const& ec) {
    return ec.category() == boost::system::system_category() &&
           (ec.value() == EMFILE || ec.value() == ENFILE);
}

std::string endpoint_text(ip::address const& a, std::uint16_t port) {
    return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port)
                     : a.to_string() + ":" + std::to_string(port);
}

}  // namespace

ProbeError classify_connect_error(int err) {
    switch (err) {
        case 0:
            return ProbeError::none;
        case ECONNREFUSED:
            return ProbeError::refused;
        case ETIMEDOUT:
            return ProbeError::timeout;
        case EHOSTUNREACH:
        case EHOSTDOWN:
            return ProbeError::host_unreachable;
        case ENETUNREACH:
        case ENETDOWN:
            return ProbeError::network_unreachable;
        default:
            return ProbeError::connect_failed;
    }
}

TcpProbe::TcpProbe(asio::io_context& io, std::shared_ptr<ProbeHost> host, Resolver& resolver,
                   Job job)
    : io_(io),
      host_(std::move(host)),
      resolver_(resolver),
      job_(std::move(job)),
      deadline_(io),
      stagger_(io) {}

TcpProbe::~TcpProbe() = default;

std::chrono::microseconds TcpProbe::elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_);
}

void TcpProbe::arm_deadline(Clock::duration d) {
    deadline_.expires_after(d);
    deadline_.async_wait([self = shared_from_this(), gen = ++deadline_gen_](error_code ec) {
        self->on_deadline(gen, ec);
    });
}

// Start: one deadline for DNS + connect, then a literal or a lookup.
void TcpProbe::start() {
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
        state_ = State::connecting;
        sockets_.reserve(1);
        do_connect();
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

void TcpProbe::on_resolved(std::shared_ptr<Resolution const> const& r) {
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
    sockets_.reserve(naddrs_);
    state_ = State::connecting;
    do_connect();
}

// Connect to the next address; the following one starts after the stagger or on failure.
void TcpProbe::do_connect() {
    while (next_addr_ < naddrs_) {
        std::size_t const i = next_addr_;
        tcp::endpoint const ep(addrs_[i], job_.request.port);
        if (sockets_.size() == i) {
            sockets_.emplace_back(io_);
        }
        error_code ec;
        sockets_[i].open(ep.protocol(), ec);
        if (is_fd_exhaustion(ec)) {
            // Not DOWN: retry this address once a socket frees up (or requeue the job).
            sockets_.pop_back();
            bool const requeue = in_flight_ == 0;
            if (requeue) {
                state_ = State::closed;
                ++deadline_gen_;
                ++stagger_gen_;
                deadline_.cancel();
                stagger_.cancel();
                close_all();
            }
            host_->probe_fd_exhausted(*this, requeue);
            return;
        }
        ++next_addr_;
        if (ec) {
            record_failure(
                i, classify_connect_error(ec.value()),
                "socket for " + endpoint_text(addrs_[i], job_.request.port) + ": " + ec.message());
            continue;
        }
        ++in_flight_;
        sockets_[i].async_connect(
            ep, [self = shared_from_this(), i](error_code ec2) { self->on_connect(i, ec2); });
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

void TcpProbe::on_connect(std::size_t i, error_code ec) {
    if (state_ != State::connecting) {
        return;
    }
    --in_flight_;
    if (!ec) {
        succeed(i);
        return;
    }
    error_code ignored;
    sockets_[i].close(ignored);
    record_failure(
        i, classify_connect_error(ec.value()),
        "connect to " + endpoint_text(addrs_[i], job_.request.port) + ": " + ec.message());
    // A failure starts the next address at once.
    do_connect();
}

void TcpProbe::on_stagger(std::uint32_t gen, error_code ec) {
    if (ec || gen != stagger_gen_ || state_ != State::connecting) {
        return;
    }
    do_connect();
}

void TcpProbe::on_deadline(std::uint32_t gen, error_code ec) {
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
        case State::draining:
            finish_drain();
            break;
        default:
            break;
    }
}

void TcpProbe::record_failure(std::size_t i, ProbeError e, std::string detail) {
    if (best_error_ == ProbeError::none || rank(e) > rank(best_error_)) {
        best_error_ = e;
        best_index_ = i;
        best_detail_ = std::move(detail);
    }
}

void TcpProbe::fail_best() {
    auto address = naddrs_ > 0 ? addrs_[best_index_].to_string() : std::string();
    fail(best_error_ == ProbeError::none ? ProbeError::connect_failed : best_error_,
         std::move(best_detail_), std::move(address));
}

void TcpProbe::fail(ProbeError e, std::string detail, std::string address) {
    state_ = State::closed;
    ++deadline_gen_;
    ++stagger_gen_;
    deadline_.cancel();
    stagger_.cancel();
    close_all();
    ProbeResult r;
    r.up = false;
    r.error = e;
    r.detail = std::move(detail);
    r.latency = elapsed();
    r.address = std::move(address);
    host_->probe_done(*this, std::move(r));
    host_->probe_closed(*this);
}

// The first connection wins: the others are closed, the result is reported at once, and the
// winner is closed gracefully afterwards.
void TcpProbe::succeed(std::size_t i) {
    winner_ = i;
    state_ = State::draining;
    ++stagger_gen_;
    stagger_.cancel();
    error_code ignored;
    for (std::size_t j = 0; j < sockets_.size(); ++j) {
        if (j != i) {
            sockets_[j].close(ignored);
        }
    }
    ProbeResult r;
    r.up = true;
    r.latency = elapsed();
    if (r.latency.count() <= 0) {
        r.latency = std::chrono::microseconds(1);
    }
    r.address = addrs_[i].to_string();
    host_->probe_done(*this, std::move(r));
    if (state_ == State::draining) {
        do_drain();
    }
}

// FIN first, then read and discard until EOF or the drain bound, so that unread data (a
// banner) does not turn our close into an RST.
void TcpProbe::do_drain() {
    auto& s = sockets_[winner_];
    error_code ec;
    s.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
        finish_drain();
        return;
    }
    arm_deadline(std::min<Clock::duration>(drain_bound, job_.request.timeout));
    s.async_read_some(
        asio::buffer(discard_buffer),
        [self = shared_from_this()](error_code e, std::size_t) { self->on_drain_read(e); });
}

void TcpProbe::on_drain_read(error_code ec) {
    if (state_ != State::draining) {
        return;
    }
    if (ec) {
        // EOF (the normal end) or an error: either way we are done.
        finish_drain();
        return;
    }
    sockets_[winner_].async_read_some(
        asio::buffer(discard_buffer),
        [self = shared_from_this()](error_code e, std::size_t) { self->on_drain_read(e); });
}

void TcpProbe::finish_drain() {
    state_ = State::closed;
    ++deadline_gen_;
    deadline_.cancel();
    auto& s = sockets_[winner_];
    if (s.is_open()) {
        // Whatever is left, without blocking.
        error_code ec;
        s.non_blocking(true, ec);
        while (!ec) {
            s.read_some(asio::buffer(discard_buffer), ec);
        }
    }
    close_all();
    host_->probe_closed(*this);
}

void TcpProbe::close_all() {
    error_code ignored;
    for (auto& s : sockets_) {
        s.close(ignored);
    }
}

void TcpProbe::abort() {
    switch (state_) {
        case State::idle:
        case State::resolving:
        case State::connecting:
            fail(
                ProbeError::connect_failed, "probe cancelled: engine stopped",
                naddrs_ > 0 && next_addr_ > 0 ? addrs_[next_addr_ - 1].to_string() : std::string());
            break;
        case State::draining:
            finish_drain();
            break;
        case State::closed:
            break;
    }
}

}  // namespace portwatch::probe
