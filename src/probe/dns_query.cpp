#include "probe/dns_query.hpp"

#include <ares.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probe/datagram_options.hpp"
#include "probe/dns.hpp"
#include "probe/dns_reply.hpp"
#include "probe/sockets.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr std::uint16_t default_port = 53;
constexpr int class_in = 1;

// One c-ares socket, watched on the loop; c-ares owns (and closes) the descriptor.
struct Watch {
    Watch(asio::io_context& io, int fd) : sd(io) {
        error_code ec;
        sd.assign(fd, ec);
        ok = !ec;
    }
    asio::posix::stream_descriptor sd;
    bool ok = false;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
};

// One query on a channel of its own whose only server is the target.
class DnsQuery : public std::enable_shared_from_this<DnsQuery> {
  public:
    DnsQuery(DatagramStep const& step, std::shared_ptr<DnsOptions const> options, StepDone done)
        : io_(step.io),
          timer_(step.io),
          deadline_timer_(step.io),
          options_(std::move(options)),
          server_(step.addresses.front()),
          port_(step.request.port != 0 ? step.request.port : default_port),
          timeout_(step.request.timeout),
          deadline_(step.deadline),
          done_(std::move(done)) {}

    ~DnsQuery() { destroy_channel(); }
    DnsQuery(DnsQuery const&) = delete;
    DnsQuery& operator=(DnsQuery const&) = delete;

    void start() {
        if (std::string why; !open_channel(why)) {
            finish({ProbeError::dns_failure, where() + ": " + why});
            return;
        }
        deadline_timer_.expires_at(deadline_);
        deadline_timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) {
                self->finish({ProbeError::dns_timeout, self->where() + ": no answer within " +
                                                           std::to_string(self->timeout_.count()) +
                                                           " ms"});
            }
        });
        unsigned char* buf = nullptr;
        int len = 0;
        int const st = ares_create_query(options_->query.c_str(), class_in, options_->type, 0, 1,
                                         &buf, &len, 0);
        if (st != ARES_SUCCESS) {
            finish({ProbeError::dns_failure, where() + ": " + ares_strerror(st)});
            return;
        }
        ares_send(channel_, buf, len, &DnsQuery::on_answer, this);
        ares_free_string(buf);
        after_ares();
    }

    /// Stopped by the engine: closes the socket and cancels the timers at once.
    void cancel() { finish({ProbeError::cancelled, "probe cancelled"}); }

  private:
    std::string where() const {
        return fmt::format("dns {} {} at {}", options_->query, options_->type_name,
                           endpoint_text(server_, port_));
    }

    bool open_channel(std::string& why) {
        static std::once_flag once;
        static int init = ARES_SUCCESS;
        std::call_once(once, [] { init = ares_library_init(ARES_LIB_INIT_ALL); });
        if (init != ARES_SUCCESS) {
            why = std::string("c-ares init: ") + ares_strerror(init);
            return false;
        }
        ares_options opts{};
        // Every reply reaches us (its rcode is the check); TCP only when asked.
        opts.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES |
                     (options_->tcp ? ARES_FLAG_USEVC : 0);
        opts.sock_state_cb = [](void* data, ares_socket_t fd, int readable, int writable) {
            static_cast<DnsQuery*>(data)->on_sock_state(fd, readable != 0, writable != 0);
        };
        opts.sock_state_cb_data = this;
        // Two tries, the second twice as long (c-ares doubles it): together the deadline.
        auto const left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
        opts.timeout = static_cast<int>(std::max<long>(left.count() / 3, 1));
        opts.tries = 2;
        int const mask =
            ARES_OPT_FLAGS | ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
        if (int const st = ares_init_options(&channel_, &opts, mask); st != ARES_SUCCESS) {
            channel_ = nullptr;
            why = std::string("c-ares init: ") + ares_strerror(st);
            return false;
        }
        ares_addr_port_node node{};
        node.family = server_.is_v6() ? AF_INET6 : AF_INET;
        if (server_.is_v6()) {
            auto const b = server_.to_v6().to_bytes();
            std::memcpy(&node.addr.addr6, b.data(), b.size());
        } else {
            auto const b = server_.to_v4().to_bytes();
            std::memcpy(&node.addr.addr4, b.data(), b.size());
        }
        node.udp_port = port_;
        node.tcp_port = port_;
        if (int const st = ares_set_servers_ports(channel_, &node); st != ARES_SUCCESS) {
            why = std::string("c-ares server: ") + ares_strerror(st);
            return false;
        }
        return true;
    }

    static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
        auto* self = static_cast<DnsQuery*>(arg);
        if (self->destroying_) {
            return;
        }
        self->answered_ = true;
        self->status_ = status;
        if (abuf != nullptr && alen > 0) {
            self->reply_.assign(abuf, abuf + alen);
        }
    }

    // After every call into c-ares: the next timeout, and the verdict once answered (never
    // from inside a c-ares callback, so that the channel may be destroyed).
    void after_ares() {
        if (finished_) {
            return;
        }
        if (answered_) {
            finish(verdict());
            return;
        }
        timeval tv{};
        if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
            return;
        }
        timer_.expires_after(std::chrono::seconds(tv.tv_sec) +
                             std::chrono::microseconds(tv.tv_usec) + std::chrono::milliseconds(1));
        timer_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && !self->finished_) {
                ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
                self->after_ares();
            }
        });
    }

    StepResult verdict() const {
        switch (status_) {
            case ARES_SUCCESS:
                break;
            case ARES_ETIMEOUT:
                return {ProbeError::dns_timeout,
                        where() + ": no answer within " + std::to_string(timeout_.count()) + " ms"};
            case ARES_ECONNREFUSED:
                return {ProbeError::refused, where() + ": connection refused"};
            default:
                return {ProbeError::dns_failure, where() + ": " + ares_strerror(status_)};
        }
        auto const reply = dns::parse_reply(reply_, options_->type);
        if (!reply) {
            return {ProbeError::dns_failure, where() + ": malformed reply"};
        }
        auto const got = dns::rcode_name(reply->rcode);
        if (reply->rcode != options_->rcode) {
            return {DnsError::rcode, fmt::format("{}: rcode {}, expected {}", where(), got,
                                                 dns::rcode_name(options_->rcode))};
        }
        std::string answers;
        for (auto const& a : reply->answers) {
            answers += (answers.empty() ? "" : ", ") + options::escape_bytes(a, 80);
            if (answers.size() > 400) {
                answers += ", ...";
                break;
            }
        }
        auto const summary =
            fmt::format("{}: {}, {} {} answer(s){}{}", where(), got, reply->answers.size(),
                        options_->type_name, answers.empty() ? "" : ": ", answers);
        if (options_->answer &&
            std::none_of(reply->answers.begin(), reply->answers.end(), [&](std::string const& a) {
                return std::regex_search(a, *options_->answer);
            })) {
            return {DnsError::answer,
                    fmt::format("{}; none matches '{}'", summary, options_->answer_text)};
        }
        return {{}, summary};
    }

    void on_sock_state(ares_socket_t fd, bool readable, bool writable) {
        if (!readable && !writable) {
            // c-ares is about to close it: stop watching without closing.
            if (auto it = watches_.find(fd); it != watches_.end()) {
                it->second->sd.release();
                watches_.erase(it);
            }
            return;
        }
        auto& w = watches_[fd];
        if (!w) {
            w = std::make_shared<Watch>(io_, fd);
        }
        w->want_read = readable;
        w->want_write = writable;
        if (w->ok && !destroying_) {
            arm(fd, w);
        }
    }

    void arm(ares_socket_t fd, std::shared_ptr<Watch> const& w) {
        using sd = asio::posix::stream_descriptor;
        for (bool const read : {true, false}) {
            bool& busy = read ? w->reading : w->writing;
            if (!(read ? w->want_read : w->want_write) || busy) {
                continue;
            }
            busy = true;
            w->sd.async_wait(read ? sd::wait_read : sd::wait_write,
                             [self = shared_from_this(), w, fd, read](error_code ec) {
                                 (read ? w->reading : w->writing) = false;
                                 if (ec || self->finished_ || !w->sd.is_open()) {
                                     return;
                                 }
                                 ares_process_fd(self->channel_, read ? fd : ARES_SOCKET_BAD,
                                                 read ? ARES_SOCKET_BAD : fd);
                                 if (!self->finished_ && w->sd.is_open()) {
                                     self->arm(fd, w);
                                 }
                                 self->after_ares();
                             });
        }
    }

    void destroy_channel() {
        if (channel_ == nullptr) {
            return;
        }
        destroying_ = true;
        ares_destroy(channel_);  // closes its sockets through on_sock_state
        channel_ = nullptr;
        for (auto& [fd, w] : watches_) {
            w->sd.release();
        }
        watches_.clear();
    }

    void finish(StepResult r) {
        if (finished_) {
            return;
        }
        finished_ = true;
        timer_.cancel();
        deadline_timer_.cancel();
        destroy_channel();
        auto done = std::move(done_);
        done(std::move(r));
    }

    asio::io_context& io_;
    asio::steady_timer timer_;
    asio::steady_timer deadline_timer_;
    std::shared_ptr<DnsOptions const> options_;
    asio::ip::address server_;
    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
    Clock::time_point deadline_;
    StepDone done_;
    ares_channel channel_ = nullptr;
    std::map<ares_socket_t, std::shared_ptr<Watch>> watches_;
    bool destroying_ = false;
    bool finished_ = false;
    bool answered_ = false;
    int status_ = ARES_SUCCESS;
    std::vector<unsigned char> reply_;
};

}  // namespace

void start_dns_query(DatagramStep const& step, std::shared_ptr<DnsOptions const> options,
                     StepDone done) {
    auto const probe = std::make_shared<DnsQuery>(step, std::move(options), std::move(done));
    step.cancel = [weak = std::weak_ptr<DnsQuery>(probe)] {
        if (auto const p = weak.lock()) {
            p->cancel();
        }
    };
    probe->start();
}

}  // namespace portwatch::probe
