#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probe/probe.hpp"
#include "probe/resolver.hpp"

namespace portwatch::probe {

class ConnectPoller;
class Connector;
class Kind;
struct StepResult;

/// Runs once with a probe's result, on the loop thread.
using Completion = std::function<void(ProbeResult)>;

/// One queued probe: the request, its kind (null: plain tcp), its completion, and when it was
/// first started (for the bound on retries after fd exhaustion).
struct Job {
    ProbeRequest request;
    Completion done;
    std::chrono::steady_clock::time_point first_try{};
    Kind const* kind = nullptr;
};

/// What a Connector reports to the engine that runs it (on the loop thread).
class ProbeHost {
  public:
    /// The result, once. The probe may still be draining its connection afterwards.
    virtual void probe_done(Connector& p, ProbeResult r) = 0;
    /// No socket could be opened (EMFILE/ENFILE). With `requeue`, nothing was reported, every
    /// socket is closed, the host takes the job back (job()) to run it later, and the probe
    /// will not call the host again; otherwise the probe goes on with its other attempts.
    virtual void probe_fd_exhausted(Connector& p, bool requeue) = 0;
    /// Every socket of the probe is closed; it will not call the host again.
    virtual void probe_closed(Connector& p) = 0;

  protected:
    ~ProbeHost() = default;
};

/// One probe as the engine runs it: resolve (or parse a literal), try every address with a
/// happy-eyeballs stagger under one deadline, then the kind's steps if it has any (or the
/// kind's own datagram transport), report, and close gracefully (FIN, drain, close).
class Connector final : public ResolveWaiter, public std::enable_shared_from_this<Connector> {
  public:
    Connector(boost::asio::io_context& io, std::shared_ptr<ProbeHost> host, Resolver& resolver,
              Job job);
    ~Connector() override;

    /// Starts the probe; must be owned by a shared_ptr.
    void start();
    /// Ends the probe now: reports a cancellation if not yet reported, closes every socket.
    void abort();

    Job& job() { return job_; }

    void on_resolved(std::shared_ptr<Resolution const> const& r) override;
    /// Readiness of socket `i` (edge-triggered: connect done, input, FIN or error).
    void on_ready(std::size_t i, std::uint32_t events);

    // Intrusive links for the engine's list of live probes.
    Connector* prev = nullptr;
    Connector* next = nullptr;

  private:
    enum class State : std::uint8_t { idle, resolving, connecting, steps, draining, closed };

    void on_addresses();
    void do_connect();
    void on_fd_exhausted();
    void close_now();
    void on_connect(std::size_t i);
    void on_stagger(std::uint32_t gen, boost::system::error_code ec);
    void on_deadline(std::uint32_t gen, boost::system::error_code ec);
    void arm_deadline(std::chrono::steady_clock::duration d);
    void record_failure(std::size_t i, ProbeError e, std::string detail);
    void connected(std::size_t i);
    void start_steps(std::size_t i);
    void start_datagram();
    void on_steps_done(StepResult step);
    void succeed(std::size_t i);
    void fail(std::error_code e, std::string detail, std::string address, ProbeFacts facts = {});
    void fail_best();
    void do_drain();
    void on_drain_ready();
    bool discard_input();
    void finish_drain(bool drain_rest);
    void close_socket(std::size_t i);
    void close_all();
    std::chrono::microseconds elapsed() const;

    boost::asio::io_context& io_;
    std::shared_ptr<ProbeHost> host_;
    Resolver& resolver_;
    Job job_;
    std::shared_ptr<Resolution const> resolution_;
    boost::asio::ip::address literal_;
    boost::asio::ip::address const* addrs_ = nullptr;
    std::size_t naddrs_ = 0;
    std::size_t next_addr_ = 0;
    std::size_t in_flight_ = 0;
    std::size_t winner_ = 0;
    // Raw non-blocking sockets, watched by the loop's ConnectPoller (one epoll ADD each).
    struct Socket {
        int fd = -1;
        std::uint64_t token = 0;  // the poller's watch, 0 when not watched
    };
    ConnectPoller& poller_;
    std::vector<Socket> sockets_;
    // The connected socket handed to a stream kind's steps (made only for such kinds).
    std::unique_ptr<boost::asio::ip::tcp::socket> stream_;
    // How a datagram kind's own sockets and timers are ended early (see DatagramStep).
    std::function<void()> datagram_cancel_;
    boost::asio::steady_timer deadline_;
    boost::asio::steady_timer stagger_;
    std::chrono::steady_clock::time_point start_{};
    std::uint32_t deadline_gen_ = 0;
    std::uint32_t stagger_gen_ = 0;
    State state_ = State::idle;
    // The most telling failure so far (refused beats unreachable, ...).
    ProbeError best_error_ = ProbeError::none;
    std::size_t best_index_ = 0;
    std::string best_detail_;
};

}  // namespace portwatch::probe
