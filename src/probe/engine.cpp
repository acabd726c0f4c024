#include "probe/engine.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <deque>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "probe/connect.hpp"
#include "probe/registry.hpp"
#include "probe/resolver.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
static_assert(std::is_same_v<Completion, Engine::Completion>);

namespace {

// File descriptors kept for the rest of the process (logs, state file, notifier pipes, DNS).
constexpr std::size_t fd_reserve = 32;
// After fd exhaustion with nothing else in flight, wait this long before trying again.
constexpr auto fd_retry_delay = std::chrono::milliseconds(20);

std::size_t soft_fd_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
        return 1u << 20;
    }
    return static_cast<std::size_t>(rl.rlim_cur);
}

ProbeResult cancelled_result() {
    ProbeResult r;
    r.error = ProbeError::cancelled;
    r.detail = "probe cancelled: engine stopped";
    return r;
}

ProbeResult unsupported_kind_result(ProbeRequest const& request) {
    ProbeResult r;
    r.error = ProbeError::unsupported_kind;
    r.detail = "probe kind '" + request.kind + "' is not supported";
    return r;
}

ProbeResult fd_exhausted_result(ProbeRequest const& request) {
    ProbeResult r;
    r.error = ProbeError::no_file_descriptor;
    r.detail = "connect to " + request.host + ":" + std::to_string(request.port) +
               ": no file descriptor available (too many open files)";
    return r;
}

/// Engine state shared with the probes it runs, so that late handlers never dangle.
struct Core final : ProbeHost, std::enable_shared_from_this<Core> {
    Core(asio::io_context& io_, std::size_t cap_, std::span<Kind const* const> kinds_)
        : io(io_),
          kinds(kinds_),
          resolver(std::make_shared<Resolver>(io_, Resolver::Options{})),
          cap(cap_),
          limit(cap_),
          retry(io_) {}

    void submit(ProbeRequest request, Completion done);
    Kind const* find(std::string_view name) const;
    void schedule_pump();
    void pump();
    void stop();
    void complete(Completion& done, ProbeResult r);

    void probe_done(Connector& p, ProbeResult r) override;
    void probe_fd_exhausted(Connector& p, bool requeue) override;
    void probe_closed(Connector& p) override;

    void link(Connector* p);
    void unlink(Connector* p);

    asio::io_context& io;
    std::span<Kind const* const> kinds;  // empty: the registry's
    std::shared_ptr<Resolver> resolver;
    std::size_t cap;    // configured cap, clamped below the fd limit
    std::size_t limit;  // adaptive cap: lowered on fd exhaustion, regrown slowly
    std::size_t grow_credit = 0;
    std::size_t active = 0;  // probes started and not yet reported
    std::deque<Job> queue;
    Connector* head = nullptr;  // live probes (reporting or draining)
    asio::steady_timer retry;
    bool fd_wait = false;
    bool pump_posted = false;
    bool pumping = false;
    bool repump = false;
    bool stopped = false;
    bool stopping = false;
};

void Core::submit(ProbeRequest request, Completion done) {
    if (stopped) {
        asio::post(io, [done = std::move(done)]() mutable { done(cancelled_result()); });
        return;
    }
    // tcp without options (connected = up) runs with no kind at all: the fast path.
    Kind const* kind = nullptr;
    if (request.kind != "tcp" || request.options != nullptr) {
        kind = find(request.kind);
        if (kind == nullptr) {
            asio::post(io,
                       [done = std::move(done), r = unsupported_kind_result(request)]() mutable {
                           done(std::move(r));
                       });
            return;
        }
        if (!kind->has_steps(request) && kind->transport() == Kind::Transport::stream) {
            kind = nullptr;
        }
    }
    queue.push_back(Job{std::move(request), std::move(done), {}, kind});
    schedule_pump();
}

Kind const* Core::find(std::string_view name) const {
    if (kinds.empty()) {
        return find_kind(name);
    }
    for (auto const* k : kinds) {
        if (k->name() == name) {
            return k;
        }
    }
    return nullptr;
}

// Probes start from the loop, never inside submit(), so completions never run re-entrantly
// inside the caller's submit().
void Core::schedule_pump() {
    if (pump_posted) {
        return;
    }
    pump_posted = true;
    asio::post(io, [self = shared_from_this()] {
        self->pump_posted = false;
        self->pump();
    });
}

void Core::pump() {
    if (pumping) {
        repump = true;
        return;
    }
    pumping = true;
    do {
        repump = false;
        while (!stopped && !fd_wait && active < limit && !queue.empty()) {
            Job job = std::move(queue.front());
            queue.pop_front();
            if (job.first_try == Clock::time_point{}) {
                job.first_try = Clock::now();
            }
            auto p = std::make_shared<Connector>(io, shared_from_this(), *resolver, std::move(job));
            link(p.get());
            ++active;
            p->start();
        }
    } while (repump);
    pumping = false;
}

void Core::complete(Completion& done, ProbeResult r) {
    if (stopping) {
        // stop() must not run completions inside itself.
        asio::post(io,
                   [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
        return;
    }
    auto d = std::move(done);
    d(std::move(r));
}

void Core::probe_done(Connector& p, ProbeResult r) {
    --active;
    if (limit < cap && ++grow_credit >= limit) {
        ++limit;
        grow_credit = 0;
    }
    complete(p.job().done, std::move(r));
    schedule_pump();
    if (active == 0 && queue.empty()) {
        // Nobody waits for a lookup any more (their probes timed out): stop c-ares retrying,
        // which would keep the loop (and a `check` run) alive past every probe's deadline.
        asio::post(io, [self = shared_from_this()] {
            if (self->active == 0 && self->queue.empty()) {
                self->resolver->cancel();
            }
        });
    }
}

void Core::probe_fd_exhausted(Connector& p, bool requeue) {
    // The fds held by the others are what we can afford.
    std::size_t const others = active > 0 ? active - 1 : 0;
    limit = std::max<std::size_t>(1, std::min(limit, others));
    grow_credit = 0;
    if (!requeue) {
        return;
    }
    // The probe is finished: take its job back.
    unlink(&p);
    --active;
    Job job = std::move(p.job());
    auto const now = Clock::now();
    if (active == 0 && now - job.first_try > job.request.timeout) {
        // Nothing of ours holds fds and none came free within a timeout: the queued jobs would
        // each wait as long again, one after the other. Give them all up now, as UNKNOWN (the
        // fault is ours, not the targets'); later submissions try afresh.
        auto jobs = std::move(queue);
        queue.clear();
        jobs.push_front(std::move(job));
        for (auto& j : jobs) {
            complete(j.done, fd_exhausted_result(j.request));
        }
        return;
    }
    queue.push_front(std::move(job));
    if (active == 0) {
        // Wait for a draining probe to close, or a short while.
        fd_wait = true;
        retry.expires_after(fd_retry_delay);
        retry.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec && self->fd_wait) {
                self->fd_wait = false;
                self->pump();
            }
        });
    }
}

void Core::probe_closed(Connector& p) {
    unlink(&p);
    if (fd_wait) {
        fd_wait = false;
        retry.cancel();
        schedule_pump();
    }
}

void Core::link(Connector* p) {
    p->prev = nullptr;
    p->next = head;
    if (head != nullptr) {
        head->prev = p;
    }
    head = p;
}

void Core::unlink(Connector* p) {
    if (p->prev != nullptr) {
        p->prev->next = p->next;
    } else if (head == p) {
        head = p->next;
    }
    if (p->next != nullptr) {
        p->next->prev = p->prev;
    }
    p->prev = p->next = nullptr;
}

void Core::stop() {
    if (stopping) {
        return;
    }
    stopped = true;
    stopping = true;
    fd_wait = false;
    retry.cancel();
    // Live probes: each reports (posted) and closes, which unlinks it.
    while (head != nullptr) {
        auto const keep = head->shared_from_this();
        head->abort();
        if (head == keep.get()) {
            unlink(keep.get());
        }
    }
    resolver->cancel();
    auto jobs = std::move(queue);
    queue.clear();
    for (auto& job : jobs) {
        complete(job.done, cancelled_result());
    }
    stopping = false;
}

}  // namespace

struct Engine::Impl {
    std::shared_ptr<Core> core;
};

Engine::Engine(asio::io_context& io, EngineOptions options) {
    std::size_t const soft = soft_fd_limit();
    std::size_t const by_fds = soft > fd_reserve ? soft - fd_reserve : 1;
    std::size_t const cap = std::max<std::size_t>(1, std::min(options.concurrency, by_fds));
    impl_ = std::make_unique<Impl>(Impl{std::make_shared<Core>(io, cap, options.kinds)});
}

Engine::~Engine() {
    if (impl_) {
        impl_->core->stop();
    }
}

void Engine::submit(ProbeRequest request, Completion done) {
    impl_->core->submit(std::move(request), std::move(done));
}

std::size_t Engine::concurrency() const {
    return impl_->core->limit;
}

std::size_t Engine::pending() const {
    return impl_->core->active + impl_->core->queue.size();
}

void Engine::stop() {
    impl_->core->stop();
}

std::vector<ProbeResult> probe_all(std::vector<ProbeRequest> const& requests,
                                   EngineOptions options) {
    std::vector<ProbeResult> results(requests.size());
    asio::io_context io(1);
    {
        Engine engine(io, options);
        for (std::size_t i = 0; i < requests.size(); ++i) {
            engine.submit(requests[i], [&results, i](ProbeResult r) { results[i] = std::move(r); });
        }
        io.run();
    }
    return results;
}

std::size_t raise_fd_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return 0;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rlimit want = rl;
        want.rlim_cur = rl.rlim_max;
        if (want.rlim_cur == RLIM_INFINITY) {
            want.rlim_cur = 1u << 20;
        }
        if (::setrlimit(RLIMIT_NOFILE, &want) == 0) {
            rl = want;
        }
    }
    return rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : static_cast<std::size_t>(rl.rlim_cur);
}

}  // namespace portwatch::probe
