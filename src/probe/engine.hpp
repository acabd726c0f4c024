#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "probe/probe.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::probe {

class Kind;

struct EngineOptions {
    /// Most probes in flight at once; clamped below the RLIMIT_NOFILE soft limit.
    std::size_t concurrency = 1000;
    /// The kinds requests may name; empty: the registry's (probe/registry.hpp). The kinds
    /// must outlive the engine.
    std::span<Kind const* const> kinds{};
};

/// Runs probes of every kind on one Asio event loop: each probe has its own deadline (DNS,
/// connect and the kind's steps), at most `concurrency` are in flight, names resolve through
/// c-ares with a cache. A request of a kind not in the registry fails with unsupported_kind.
class Engine {
  public:
    /// Runs once with the probe's result (the same type as probe::Completion).
    using Completion = std::function<void(ProbeResult)>;

    Engine(boost::asio::io_context& io, EngineOptions options);
    ~Engine();
    Engine(Engine const&) = delete;
    Engine& operator=(Engine const&) = delete;

    /// Queues a probe; `done` runs on the io_context's thread, exactly once.
    void submit(ProbeRequest request, Completion done);

    /// The effective concurrency cap after clamping to the fd limit.
    std::size_t concurrency() const;

    /// Probes in flight plus queued.
    std::size_t pending() const;

    /// Cancels queued and in-flight probes (their completions still run, with an error).
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Convenience for one-shot use: probes every request concurrently on a private loop and
/// returns results in request order.
std::vector<ProbeResult> probe_all(std::vector<ProbeRequest> const& requests,
                                   EngineOptions options);

/// Raises the RLIMIT_NOFILE soft limit to the hard limit; returns the new soft limit.
std::size_t raise_fd_limit();

}  // namespace portwatch::probe
