#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "config/options.hpp"
#include "probe/probe.hpp"

namespace portwatch::probe {

class Resolver;

/// How a kind's part of a probe ended: an empty code for success, else the kind's own
/// error_code (its ProbeCategory); a detail for logs; what it measured on the way.
struct StepResult {
    std::error_code error;
    std::string detail;
    ProbeFacts facts;
};

/// Called at most once; after the deadline the engine has reported a timeout already and
/// ignores it.
using StepDone = std::function<void(StepResult)>;

/// What a stream kind gets once the engine has connected: the socket (owned by the engine,
/// which closes it after `done` or at the deadline, cancelling what is pending on it).
struct StreamStep {
    boost::asio::ip::tcp::socket& socket;
    ProbeRequest const& request;
    std::chrono::steady_clock::time_point deadline;
    /// When the probe started (DNS included): phase times are measured from here.
    std::chrono::steady_clock::time_point start;
    /// The engine's resolver (c-ares, cached) for names a kind meets on the way (http
    /// redirects); empty when the kind runs without an engine.
    std::weak_ptr<Resolver> resolver{};
};

/// How a datagram kind lets the engine end it early: closes its sockets and cancels its
/// timers (nothing of the probe may hold the loop afterwards). Must be safe to call after
/// `done` ran, and must not keep the probe alive (capture a weak_ptr).
using DatagramCancel = std::function<void()>;

/// What a datagram kind gets: the resolved addresses (in preference order) and the deadline;
/// it opens, uses and closes its own sockets, and must end by the deadline (the engine has
/// reported a timeout by then and ignores a later `done`).
struct DatagramStep {
    boost::asio::io_context& io;
    std::span<boost::asio::ip::address const> addresses;
    ProbeRequest const& request;
    std::chrono::steady_clock::time_point deadline;
    std::chrono::steady_clock::time_point start;
    /// The kind stores its DatagramCancel here; the engine calls it (once) when the probe is
    /// stopped (Engine::stop, the engine's deadline) before the kind called `done`.
    DatagramCancel& cancel;
};

/// A probe kind, blackbox_exporter style: the engine owns DNS, the happy-eyeballs connect,
/// the deadline, latency, the concurrency cap and the outcome; a kind owns its protocol steps
/// on the connected socket (stream) or its own transport (datagram), and its error codes.
class Kind {
  public:
    enum class Transport : std::uint8_t { stream, datagram };

    constexpr Kind(std::string_view name, Transport transport, bool has_steps,
                   bool needs_port = true)
        : name_(name), transport_(transport), has_steps_(has_steps), needs_port_(needs_port) {}
    virtual ~Kind() = default;
    Kind(Kind const&) = delete;
    Kind& operator=(Kind const&) = delete;

    /// The name in `kind:` and in target keys ("tcp", "tls", ...).
    std::string_view name() const { return name_; }
    Transport transport() const { return transport_; }
    /// False: a connect is the whole probe (tcp), and the engine calls nothing of the kind.
    bool has_steps() const { return has_steps_; }
    /// Whether a request with these options has steps (tcp: only with send/expect/starttls).
    virtual bool has_steps(ProbeRequest const& request) const {
        (void)request;
        return has_steps_;
    }
    /// False: a target of this kind has no port (icmp).
    bool needs_port() const { return needs_port_; }

    /// The kind's own error codes (for names in state files); null when it has none.
    virtual ProbeCategory const* errors() const { return nullptr; }

    /// Validates and parses a target's options; null when the kind takes none. Errors go to
    /// `out` with the option's FILE:LINE:COLUMN. The default rejects every key.
    virtual std::shared_ptr<KindOptions const> parse_options(config::OptionBag const& bag,
                                                             config::Diagnostics& out) const;
    /// After the options validated: fills what the kind derives from them into the target
    /// (http: host, port and endpoint from `url`). The default does nothing.
    virtual void complete_target(config::OptionBag const& bag, config::Target& target) const;

    /// Stream kinds with steps: runs them on the connected socket; calls `done` once.
    virtual void run_steps(StreamStep step, StepDone done) const;
    /// Datagram kinds: probes the resolved addresses itself; calls `done` once.
    virtual void run_datagram(DatagramStep step, StepDone done) const;

  private:
    std::string_view name_;
    Transport transport_;
    bool has_steps_;
    bool needs_port_;
};

}  // namespace portwatch::probe
