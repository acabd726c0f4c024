#include "probe/udp.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <regex>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probe/datagram_options.hpp"
#include "probe/expect.hpp"
#include "probe/named_category.hpp"
#include "probe/sockets.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr std::size_t max_reply = 4096;

NamedCategory<2> const category{"portwatch.probe.udp",
                                {{{static_cast<int>(UdpError::timeout), "udp-timeout",
                                   "no reply before the deadline", ProbeCondition::target_failed},
                                  {static_cast<int>(UdpError::mismatch), "udp-mismatch",
                                   "the reply did not match", ProbeCondition::target_failed}}}};

struct UdpOptions final : KindOptions {
    std::string send;
    std::optional<std::regex> expect;
    std::optional<std::string> expect_prefix;
    int retries = 2;
};

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// One probe: a connected socket, a resend timer and the deadline; done runs once.
class UdpProbe : public std::enable_shared_from_this<UdpProbe> {
  public:
    UdpProbe(DatagramStep const& step, StepDone done)
        : socket_(step.io),
          resend_(step.io),
          deadline_(step.io),
          options_(step.request.options
                       ? std::static_pointer_cast<UdpOptions const>(step.request.options)
                       : std::make_shared<UdpOptions const>()),
          peer_(step.addresses.front(), step.request.port),
          timeout_(step.request.timeout),
          deadline_at_(step.deadline),
          done_(std::move(done)) {}

    void start() {
        error_code ec;
        socket_.open(peer_.protocol(), ec);
        if (!ec) {
            // Connected: the kernel then reports an ICMP port unreachable as ECONNREFUSED.
            socket_.connect(peer_, ec);
        }
        if (ec) {
            fail_with(ec, "socket");
            return;
        }
        auto const window = deadline_at_ - Clock::now();
        interval_ = std::max<Clock::duration>(window / (options_->retries + 1),
                                              std::chrono::milliseconds(1));
        deadline_.expires_at(deadline_at_);
        deadline_.async_wait([self = shared_from_this()](error_code e) {
            if (!e) {
                self->finish({UdpError::timeout, self->where("udp to ") + ": no reply within " +
                                                     std::to_string(self->timeout_.count()) +
                                                     " ms (" + std::to_string(self->sends_) +
                                                     " datagrams sent)"});
            }
        });
        receive();
        send();
    }

    /// Stopped by the engine: closes the socket and cancels the timers at once.
    void cancel() { finish({ProbeError::cancelled, "probe cancelled"}); }

  private:
    std::string where(std::string_view prefix) const {
        return std::string(prefix) + endpoint_text(peer_.address(), peer_.port());
    }

    void send() {
        ++sends_;
        socket_.async_send(asio::buffer(options_->send),
                           [self = shared_from_this()](error_code ec, std::size_t) {
                               if (ec && ec != asio::error::operation_aborted) {
                                   self->fail_with(ec, "send");
                               }
                           });
        if (sends_ <= options_->retries) {
            resend_.expires_after(interval_);
            resend_.async_wait([self = shared_from_this()](error_code ec) {
                if (!ec && !self->finished_) {
                    self->send();
                }
            });
        }
    }

    void receive() {
        socket_.async_receive(
            asio::buffer(reply_),
            [self = shared_from_this()](error_code ec, std::size_t n) { self->on_receive(ec, n); });
    }

    void on_receive(error_code ec, std::size_t n) {
        if (finished_ || ec == asio::error::operation_aborted) {
            return;
        }
        if (ec) {
            fail_with(ec, "receive");
            return;
        }
        std::string_view const got(reply_.data(), n);
        bool const ok = options_->expect
                            ? std::regex_search(got.begin(), got.end(), *options_->expect)
                        : options_->expect_prefix ? got.starts_with(*options_->expect_prefix)
                                                  : true;
        if (ok) {
            finish({{}, where("udp reply from ") + ": " + std::to_string(n) + " bytes"});
            return;
        }
        finish({UdpError::mismatch, where("udp reply from ") + " does not match: \"" +
                                        options::escape_bytes(got) + "\" (" + std::to_string(n) +
                                        " bytes)"});
    }

    // A socket error: refused (ICMP port unreachable), unreachable, or another failure.
    void fail_with(error_code ec, std::string_view what) {
        auto const e = classify_connect_error(ec.value());
        finish({e, where("udp to ") + ": " + std::string(what) + ": " + ec.message()});
    }

    void finish(StepResult r) {
        if (finished_) {
            return;
        }
        finished_ = true;
        resend_.cancel();
        deadline_.cancel();
        error_code ignored;
        socket_.close(ignored);
        auto done = std::move(done_);
        done(std::move(r));
    }

    asio::ip::udp::socket socket_;
    asio::steady_timer resend_;
    asio::steady_timer deadline_;
    std::shared_ptr<UdpOptions const> options_;
    asio::ip::udp::endpoint peer_;
    std::chrono::milliseconds timeout_;
    Clock::time_point deadline_at_;
    StepDone done_;
    Clock::duration interval_{};
    int sends_ = 0;
    bool finished_ = false;
    std::array<char, max_reply> reply_{};
};

}  // namespace

UdpKind const udp_kind;

ProbeCategory const& udp_category() {
    return category;
}

std::error_code make_error_code(UdpError e) {
    return {static_cast<int>(e), category};
}

std::optional<std::string> unescape(std::string_view text) {
    std::string error;  // the caller says what is wrong, in its own words
    return decode_escapes(text, error);
}

std::optional<std::string> from_hex(std::string_view hex) {
    std::string out;
    int hi = -1;
    for (char const c : hex) {
        if (c == ' ' || c == '\t' || c == '\n' || c == ':') {
            continue;
        }
        int const v = hex_value(c);
        if (v < 0) {
            return std::nullopt;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out += static_cast<char>(hi * 16 + v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        return std::nullopt;
    }
    return out;
}

std::shared_ptr<KindOptions const> UdpKind::parse_options(config::OptionBag const& bag,
                                                          config::Diagnostics& out) const {
    auto const before = out.size();
    auto o = std::make_shared<UdpOptions>();
    for (auto const& e : bag.entries) {
        if (e.key == "send" || e.key == "send_hex") {
            auto const s = options::text(bag, e.value, e.key, out);
            if (!s) {
                continue;
            }
            auto const bytes = e.key == "send" ? unescape(*s) : from_hex(*s);
            if (!bytes) {
                bag.error(out, e,
                          e.key == "send" ? "bad escape (use \\r \\n \\t \\0 \\\\ \\xHH)"
                                          : "expected hex digits in pairs");
            } else {
                o->send = *bytes;
            }
        } else if (e.key == "expect") {
            o->expect = options::regex(bag, e.value, e.key, out);
        } else if (e.key == "expect_hex") {
            auto const s = options::text(bag, e.value, e.key, out);
            if (s) {
                o->expect_prefix = from_hex(*s);
                if (!o->expect_prefix) {
                    bag.error(out, e, "expected hex digits in pairs");
                }
            }
        } else if (e.key == "retries") {
            o->retries = static_cast<int>(
                options::integer(bag, e.value, e.key, 0, 20, out).value_or(o->retries));
        } else {
            bag.error(out, e, "unknown key");
        }
    }
    for (auto const& [a, b] : {std::pair{"send", "send_hex"}, {"expect", "expect_hex"}}) {
        if (bag.find(a) != nullptr && bag.find(b) != nullptr) {
            bag.error(out, *bag.find(b), std::string("cannot be used with ") + a);
        }
    }
    if (out.size() != before) {
        return nullptr;
    }
    return o;
}

void UdpKind::run_datagram(DatagramStep step, StepDone done) const {
    if (step.addresses.empty()) {
        done({ProbeError::connect_failed, "udp: no address to probe"});
        return;
    }
    auto const probe = std::make_shared<UdpProbe>(step, std::move(done));
    step.cancel = [weak = std::weak_ptr<UdpProbe>(probe)] {
        if (auto const p = weak.lock()) {
            p->cancel();
        }
    };
    probe->start();
}

}  // namespace portwatch::probe
