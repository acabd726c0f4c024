#include "probe/icmp.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probe/datagram_options.hpp"
#include "probe/named_category.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr std::uint8_t echo_request_v4 = 8;
constexpr std::uint8_t echo_reply_v4 = 0;
constexpr std::uint8_t echo_request_v6 = 128;
constexpr std::uint8_t echo_reply_v6 = 129;
constexpr std::size_t header_size = 8;

NamedCategory<3> const category{
    "portwatch.probe.icmp",
    {{{static_cast<int>(IcmpError::timeout), "icmp-timeout", "no echo reply before the deadline",
       ProbeCondition::target_failed},
      {static_cast<int>(IcmpError::unreachable), "icmp-unreachable", "destination unreachable",
       ProbeCondition::target_failed},
      {static_cast<int>(IcmpError::permission), "icmp-permission",
       "not permitted to send ICMP echo requests", ProbeCondition::host_failed}}}};

struct IcmpOptions final : KindOptions {
    int count = 1;
    int payload_size = 56;
};

/// Which socket carries the probe.
enum class Mode { ping, raw };

// RFC 1071 Internet checksum.
std::uint16_t checksum(std::vector<std::uint8_t> const& data) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < data.size(); i += 2) {
        sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
    }
    if (data.size() % 2 != 0) {
        sum += static_cast<std::uint32_t>(data.back() << 8);
    }
    while (sum >> 16 != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

// Raw sockets see every echo reply of the peer: a per-probe identifier tells ours apart.
std::uint16_t next_identifier() {
    static std::atomic<std::uint32_t> next{std::random_device{}()};
    return static_cast<std::uint16_t>(next.fetch_add(1));
}

std::string ping_group_range() {
    std::ifstream in("/proc/sys/net/ipv4/ping_group_range");
    std::string lo;
    std::string hi;
    in >> lo >> hi;
    return in ? lo + " " + hi : "unreadable";
}

// A ping socket first (no privilege needed where ping_group_range allows it), else raw.
int open_socket(bool v6, Mode& mode, int& err) {
    int const family = v6 ? AF_INET6 : AF_INET;
    int const proto = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
    int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd >= 0) {
        mode = Mode::ping;
        return fd;
    }
    if (errno != EACCES && errno != EPERM) {
        err = errno;
        return -1;
    }
    fd = ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd >= 0) {
        mode = Mode::raw;
        return fd;
    }
    err = errno;
    return -1;
}

class IcmpProbe : public std::enable_shared_from_this<IcmpProbe> {
  public:
    IcmpProbe(DatagramStep const& step, StepDone done)
        : socket_(step.io),
          timer_(step.io),
          options_(step.request.options
                       ? std::static_pointer_cast<IcmpOptions const>(step.request.options)
                       : std::make_shared<IcmpOptions const>()),
          peer_(step.addresses.front()),
          timeout_(step.request.timeout),
          deadline_(step.deadline),
          done_(std::move(done)) {}

    void start() {
        int err = 0;
        int const fd = open_socket(peer_.is_v6(), mode_, err);
        if (fd < 0) {
            if (err == EACCES || err == EPERM) {
                finish({IcmpError::permission,
                        fmt::format("icmp to {}: not permitted: a ping socket needs this "
                                    "process's group within sysctl net.ipv4.ping_group_range "
                                    "(now \"{}\"), a raw socket needs CAP_NET_RAW (setcap "
                                    "cap_net_raw+ep, or AmbientCapabilities=CAP_NET_RAW)",
                                    peer_.to_string(), ping_group_range())});
            } else {
                finish({ProbeError::connect_failed, where() + ": socket: " + std::strerror(err)});
            }
            return;
        }
        error_code ec;
        socket_.assign(fd, ec);
        if (ec) {
            ::close(fd);
            finish({ProbeError::connect_failed, where() + ": " + ec.message()});
            return;
        }
        // Connected: replies from other hosts are not ours, and errors come back on the socket.
        if (!connect_peer()) {
            return;
        }
        // ICMP errors about our echoes (destination unreachable) come back as a socket error.
        int const on = 1;
        if (peer_.is_v6()) {
            ::setsockopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
        } else {
            ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_RECVERR, &on, sizeof on);
        }
        if (mode_ == Mode::raw) {
            id_ = next_identifier();
        }
        wait_readable();
        send_next();
    }

    /// Stopped by the engine: closes the socket and cancels the timers at once.
    void cancel() { finish({ProbeError::cancelled, "probe cancelled"}); }

  private:
    std::string where() const {
        return fmt::format("icmp echo to {} ({} socket)", peer_.to_string(),
                           mode_ == Mode::ping ? "ping" : "raw");
    }

    bool connect_peer() {
        sockaddr_storage ss{};
        socklen_t len = 0;
        if (peer_.is_v6()) {
            auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
            sin6.sin6_family = AF_INET6;
            auto const b = peer_.to_v6().to_bytes();
            std::memcpy(&sin6.sin6_addr, b.data(), b.size());
            sin6.sin6_scope_id = peer_.to_v6().scope_id();
            len = sizeof sin6;
        } else {
            auto& sin = reinterpret_cast<sockaddr_in&>(ss);
            sin.sin_family = AF_INET;
            auto const b = peer_.to_v4().to_bytes();
            std::memcpy(&sin.sin_addr, b.data(), b.size());
            len = sizeof sin;
        }
        if (::connect(socket_.native_handle(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
            fail_errno(errno, "connect");
            return false;
        }
        return true;
    }

    void send_next() {
        ++seq_;
        std::vector<std::uint8_t> packet(header_size + options_->payload_size);
        packet[0] = peer_.is_v6() ? echo_request_v6 : echo_request_v4;
        packet[4] = static_cast<std::uint8_t>(id_ >> 8);
        packet[5] = static_cast<std::uint8_t>(id_);
        packet[6] = static_cast<std::uint8_t>(seq_ >> 8);
        packet[7] = static_cast<std::uint8_t>(seq_);
        for (std::size_t i = header_size; i < packet.size(); ++i) {
            packet[i] = static_cast<std::uint8_t>(i);
        }
        if (!peer_.is_v6()) {
            // The kernel sums ICMPv6 itself (pseudo-header); ICMPv4 on a raw socket is ours.
            auto const sum = checksum(packet);
            packet[2] = static_cast<std::uint8_t>(sum >> 8);
            packet[3] = static_cast<std::uint8_t>(sum);
        }
        sent_at_ = Clock::now();
        // Each echo gets an equal share of what is left; the last one ends at the deadline.
        int const left = options_->count - seq_ + 1;
        timer_.expires_at(left <= 1 ? deadline_ : sent_at_ + (deadline_ - sent_at_) / left);
        timer_.async_wait([self = shared_from_this(), seq = seq_](error_code ec) {
            if (!ec && seq == self->seq_) {
                self->echo_ended();
            }
        });
        if (::send(socket_.native_handle(), packet.data(), packet.size(), 0) < 0) {
            fail_errno(errno, "send");
        }
    }

    void wait_readable() {
        socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                           [self = shared_from_this()](error_code ec) {
                               if (!ec && !self->finished_) {
                                   self->on_readable();
                               }
                           });
    }

    void on_readable() {
        std::array<std::uint8_t, 2048> buf{};
        for (;;) {
            ssize_t const n = ::recv(socket_.native_handle(), buf.data(), buf.size(), 0);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    break;
                }
                fail_errno(errno, "receive");
                return;
            }
            if (is_our_reply({buf.data(), static_cast<std::size_t>(n)})) {
                rtts_.push_back(Clock::now() - sent_at_);
                echo_ended();
                if (finished_) {
                    return;
                }
            }
        }
        wait_readable();
    }

    bool is_our_reply(std::span<std::uint8_t const> p) const {
        if (mode_ == Mode::raw && !peer_.is_v6()) {
            // An IPv4 raw socket returns the IP header too.
            if (p.empty() || (p[0] >> 4) != 4 || p.size() < std::size_t{(p[0] & 0x0fu) * 4u}) {
                return false;
            }
            p = p.subspan((p[0] & 0x0fu) * 4u);
        }
        if (p.size() < header_size) {
            return false;
        }
        auto const type = peer_.is_v6() ? echo_reply_v6 : echo_reply_v4;
        auto const id = static_cast<std::uint16_t>(p[4] << 8 | p[5]);
        auto const seq = static_cast<std::uint16_t>(p[6] << 8 | p[7]);
        // A ping socket's identifier is the kernel's, which routes only our replies to us.
        return p[0] == type && (mode_ == Mode::ping || id == id_) &&
               seq == static_cast<std::uint16_t>(seq_);
    }

    // The current echo was answered or its share of time ran out: the next, or the verdict.
    void echo_ended() {
        if (seq_ < options_->count) {
            send_next();
            return;
        }
        if (rtts_.empty()) {
            finish({IcmpError::timeout, fmt::format("{}: no reply within {} ms ({} sent)", where(),
                                                    timeout_.count(), seq_)});
            return;
        }
        auto const [lo, hi] = std::minmax_element(rtts_.begin(), rtts_.end());
        Clock::duration total{};
        for (auto const d : rtts_) {
            total += d;
        }
        auto const ms = [](Clock::duration d) {
            return std::chrono::duration<double, std::milli>(d).count();
        };
        auto const stats = rtts_.size() == 1
                               ? fmt::format("rtt {:.3f} ms", ms(*lo))
                               : fmt::format("rtt min/avg/max {:.3f}/{:.3f}/{:.3f} ms", ms(*lo),
                                             ms(total / rtts_.size()), ms(*hi));
        finish({{}, fmt::format("{}: {}/{} replies, {}", where(), rtts_.size(), seq_, stats)});
    }

    void fail_errno(int err, std::string_view what) {
        bool const unreachable = err == EHOSTUNREACH || err == ENETUNREACH || err == ECONNREFUSED ||
                                 err == EPERM || err == EACCES;
        finish({unreachable ? std::error_code(IcmpError::unreachable)
                            : std::error_code(ProbeError::connect_failed),
                fmt::format("{}: {}: {}", where(), what, std::strerror(err))});
    }

    void finish(StepResult r) {
        if (finished_) {
            return;
        }
        finished_ = true;
        timer_.cancel();
        error_code ignored;
        socket_.close(ignored);
        auto done = std::move(done_);
        done(std::move(r));
    }

    asio::posix::stream_descriptor socket_;
    asio::steady_timer timer_;
    std::shared_ptr<IcmpOptions const> options_;
    asio::ip::address peer_;
    std::chrono::milliseconds timeout_;
    Clock::time_point deadline_;
    StepDone done_;
    Mode mode_ = Mode::ping;
    std::uint16_t id_ = 0;
    int seq_ = 0;
    Clock::time_point sent_at_{};
    std::vector<Clock::duration> rtts_;
    bool finished_ = false;
};

}  // namespace

IcmpKind const icmp_kind;

ProbeCategory const& icmp_category() {
    return category;
}

std::error_code make_error_code(IcmpError e) {
    return {static_cast<int>(e), category};
}

std::shared_ptr<KindOptions const> IcmpKind::parse_options(config::OptionBag const& bag,
                                                           config::Diagnostics& out) const {
    auto const before = out.size();
    auto o = std::make_shared<IcmpOptions>();
    for (auto const& e : bag.entries) {
        if (e.key == "count") {
            o->count = static_cast<int>(
                options::integer(bag, e.value, e.key, 1, 100, out).value_or(o->count));
        } else if (e.key == "payload_size") {
            o->payload_size = static_cast<int>(
                options::integer(bag, e.value, e.key, 0, 1452, out).value_or(o->payload_size));
        } else {
            bag.error(out, e, "unknown key");
        }
    }
    if (out.size() != before) {
        return nullptr;
    }
    return o;
}

void IcmpKind::run_datagram(DatagramStep step, StepDone done) const {
    if (step.addresses.empty()) {
        done({ProbeError::connect_failed, "icmp: no address to probe"});
        return;
    }
    auto const probe = std::make_shared<IcmpProbe>(step, std::move(done));
    step.cancel = [weak = std::weak_ptr<IcmpProbe>(probe)] {
        if (auto const p = weak.lock()) {
            p->cancel();
        }
    };
    probe->start();
}

}  // namespace portwatch::probe
