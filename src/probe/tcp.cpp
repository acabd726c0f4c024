#include "probe/tcp.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <boost/asio/posix/stream_descriptor.hpp>

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

// The kernel takes ephemeral source ports from net.ipv4.ip_local_port_range only (read once,
// for this network namespace): a port outside it can never be our own source port, so the
// self-connect check below (one getsockname per UP target) is skipped for it.
bool in_ephemeral_range(std::uint16_t port) {
    static std::pair<unsigned, unsigned> const range = [] {
        std::pair<unsigned, unsigned> r{1, 65535};
        if (std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
            unsigned lo = 0;
            unsigned hi = 0;
            if (std::fscanf(f, "%u %u", &lo, &hi) == 2 && lo <= hi) {
                r = {lo, hi};
            }
            std::fclose(f);
        }
        return r;
    }();
    return port >= range.first && port <= range.second;
}

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

/// Readiness for every probe socket of one io_context, through one epoll set of its own that
/// the loop watches as a single descriptor. A socket costs one epoll_ctl (ADD, edge-triggered
/// for output, input and hang-up) and its close removes it: Asio's own registration costs an
/// ADD, a MOD per wait and an ioctl per socket, which was a fifth of a probe's system time.
/// An Asio service: one per io_context, created on first use, gone with the io_context.
class ConnectPoller final : public asio::io_context::service {
  public:
    static inline asio::io_context::id id;

    explicit ConnectPoller(asio::io_context& io) : asio::io_context::service(io), set_(io) {}

    /// Watches `fd` for `probe`'s socket `index`; returns the token for unwatch(), or 0 with
    /// errno set (EMFILE when the epoll set itself could not be made).
    std::uint64_t watch(int fd, std::shared_ptr<TcpProbe> probe, std::size_t index) {
        if (!set_.is_open()) {
            // Made on first use, not at construction: at EMFILE this is a retryable failure
            // of one probe, not an exception out of the loop.
            int const epfd = ::epoll_create1(EPOLL_CLOEXEC);
            if (epfd < 0) {
                return 0;
            }
            set_.assign(epfd);
        }
        std::uint32_t slot;
        if (free_.empty()) {
            slot = static_cast<std::uint32_t>(slots_.size());
            slots_.emplace_back();
        } else {
            slot = free_.back();
            free_.pop_back();
        }
        Slot& s = slots_[slot];
        s.probe = std::move(probe);
        s.index = index;
        std::uint64_t const token = (std::uint64_t{slot} << 32) | ++s.gen;
        epoll_event ev{};
        ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = token;
        if (::epoll_ctl(set_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            release(slot);
            return 0;
        }
        ++watched_;
        arm();
        return token;
    }

    /// Stops delivering events for a token; the caller closes the fd right after.
    void unwatch(std::uint64_t token) {
        auto const slot = static_cast<std::uint32_t>(token >> 32);
        if (slot < slots_.size() && slots_[slot].gen == static_cast<std::uint32_t>(token)) {
            release(slot);
            if (--watched_ == 0 && armed_) {
                // Nothing left to watch: no pending wait may keep io_context::run() going.
                boost::system::error_code ignored;
                set_.cancel(ignored);
            }
        }
    }

  private:
    struct Slot {
        std::shared_ptr<TcpProbe> probe;
        std::size_t index = 0;
        std::uint32_t gen = 0;
    };

    void shutdown() override {
        // Probes released here may close (and unwatch) in their destructors: the table is
        // already empty by then.
        auto slots = std::move(slots_);
        slots_.clear();
        free_.clear();
        watched_ = 0;
        slots.clear();
    }

    void release(std::uint32_t slot) {
        ++slots_[slot].gen;  // events already fetched for it are now stale
        slots_[slot].probe.reset();
        free_.push_back(slot);
    }

    void arm() {
        if (armed_ || watched_ == 0) {
            return;
        }
        armed_ = true;
        set_.async_wait(asio::posix::stream_descriptor::wait_read,
                        [this](boost::system::error_code ec) { on_readable(ec); });
    }

    void on_readable(boost::system::error_code ec) {
        armed_ = false;
        if (!ec) {
            epoll_event events[256];
            int n;
            do {
                n = ::epoll_wait(set_.native_handle(), events, 256, 0);
                for (int k = 0; k < n; ++k) {
                    auto const token = events[k].data.u64;
                    auto const slot = static_cast<std::uint32_t>(token >> 32);
                    if (slot >= slots_.size() ||
                        slots_[slot].gen != static_cast<std::uint32_t>(token)) {
                        continue;  // closed since the event was queued
                    }
                    auto const probe = slots_[slot].probe;  // the handler may unwatch it
                    probe->on_ready(slots_[slot].index, events[k].events);
                }
            } while (n == 256);
        }
        arm();
    }

    asio::posix::stream_descriptor set_;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_;
    std::size_t watched_ = 0;
    bool armed_ = false;
};

TcpProbe::TcpProbe(asio::io_context& io, std::shared_ptr<ProbeHost> host, Resolver& resolver,
                   Job job)
    : io_(io),
      host_(std::move(host)),
      resolver_(resolver),
      job_(std::move(job)),
      poller_(asio::use_service<ConnectPoller>(io)),
      deadline_(io),
      stagger_(io) {}

TcpProbe::~TcpProbe() {
    close_all();
}

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
// connect() is called by hand on a socket made non-blocking at birth, and readiness comes
// from the ConnectPoller: socket, connect, one epoll ADD, getsockopt, close.
void TcpProbe::do_connect() {
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
            succeed(i);
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
void TcpProbe::close_now() {
    state_ = State::closed;
    ++deadline_gen_;
    ++stagger_gen_;
    deadline_.cancel();
    stagger_.cancel();
    close_all();
}

// Not DOWN: retry the address once a socket frees up, or hand the job back to the host.
void TcpProbe::on_fd_exhausted() {
    bool const requeue = in_flight_ == 0;
    if (requeue) {
        close_now();
    }
    host_->probe_fd_exhausted(*this, requeue);
}

void TcpProbe::on_ready(std::size_t i, std::uint32_t /*events*/) {
    if (state_ == State::connecting) {
        on_connect(i);
    } else if (state_ == State::draining && i == winner_) {
        on_drain_ready();
    }
}

void TcpProbe::on_connect(std::size_t i) {
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
        succeed(i);
        return;
    }
    close_socket(i);
    record_failure(
        i, classify_connect_error(err),
        "connect to " + endpoint_text(addrs_[i], job_.request.port) + ": " + std::strerror(err));
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
            finish_drain(true);
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
    close_now();
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
    for (std::size_t j = 0; j < sockets_.size(); ++j) {
        if (j != i) {
            close_socket(j);
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
void TcpProbe::do_drain() {
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

void TcpProbe::on_drain_ready() {
    if (state_ != State::draining) {
        return;
    }
    if (discard_input()) {
        finish_drain(false);
    }
}

// Reads and discards what is there without blocking; true at EOF or on an error.
bool TcpProbe::discard_input() {
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

void TcpProbe::finish_drain(bool drain_rest) {
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

void TcpProbe::close_socket(std::size_t i) {
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

void TcpProbe::close_all() {
    for (std::size_t i = 0; i < sockets_.size(); ++i) {
        close_socket(i);
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
            finish_drain(true);
            break;
        case State::closed:
            break;
    }
}

}  // namespace portwatch::probe
