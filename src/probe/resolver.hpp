#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probe/probe.hpp"

struct ares_addrinfo;

namespace portwatch::probe {

/// The outcome of one name lookup: addresses, or a dns_* error with detail.
struct Resolution {
    ProbeError error = ProbeError::none;
    std::string detail;
    std::vector<boost::asio::ip::address> addresses;
};

/// Something waiting for a lookup; held weakly, so a waiter that gave up may just vanish.
class ResolveWaiter {
  public:
    virtual ~ResolveWaiter() = default;
    virtual void on_resolved(std::shared_ptr<Resolution const> const& r) = 0;
};

/// Asynchronous DNS through c-ares on an Asio io_context, with a per-resolver cache that
/// also joins concurrent lookups of the same name. One thread: the io_context's.
class Resolver : public std::enable_shared_from_this<Resolver> {
  public:
    struct Options {
        std::chrono::seconds ttl{30};                 ///< how long an answer is reused
        std::chrono::seconds negative_ttl{5};         ///< same for nxdomain / failure
        std::chrono::milliseconds try_timeout{2000};  ///< c-ares per-try timeout
        int tries = 2;
    };

    Resolver(boost::asio::io_context& io, Options options);
    ~Resolver();
    Resolver(Resolver const&) = delete;
    Resolver& operator=(Resolver const&) = delete;

    /// Returns the cached resolution of `host`, or nullptr after registering `waiter`, which
    /// is then called once (if still alive) when the lookup ends.
    std::shared_ptr<Resolution const> resolve(std::string const& host,
                                              std::weak_ptr<ResolveWaiter> waiter);

    /// The cached, still valid resolution of `host`, or nullptr; never starts a lookup.
    std::shared_ptr<Resolution const> cached(std::string const& host) const;

    /// Cancels every lookup in flight; their waiters get a dns_failure.
    void cancel();

  private:
    struct Entry;
    struct Watch;

    bool ensure_channel(std::string& error_out);
    void start_lookup(Entry& entry);
    static void lookup_cb(void* arg, int status, int timeouts, ::ares_addrinfo* res);
    static void sock_state_cb(void* data, int fd, int readable, int writable);
    void deliver_completed();
    void on_sock_state(int fd, bool readable, bool writable);
    void arm(std::shared_ptr<Watch> const& w);
    void on_ready(std::shared_ptr<Watch> const& w, bool read);
    void update_timer();
    void on_timer();
    void sweep();

    boost::asio::io_context& io_;
    Options options_;
    void* channel_ = nullptr;  // ares_channel, opened on the first lookup
    bool destroying_ = false;
    boost::asio::steady_timer timer_;
    std::unordered_map<std::string, std::unique_ptr<Entry>> cache_;
    std::unordered_map<int, std::shared_ptr<Watch>> watches_;
    std::vector<Entry*> completed_;
    std::size_t sweep_at_ = 256;
    int delivering_ = 0;
};

}  // namespace portwatch::probe
