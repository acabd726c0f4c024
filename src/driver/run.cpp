#include "driver/run.hpp"

#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/yaml.hpp"
#include "driver/delivery.hpp"
#include "driver/from_config.hpp"
#include "driver/scheduler.hpp"
#include "eval/evaluator.hpp"
#include "http/server.hpp"
#include "notify/exec.hpp"
#include "notify/message.hpp"
#include "probe/engine.hpp"
#include "store/open.hpp"
#include "store/sqlite.hpp"
#include "util/atomic_file.hpp"
#include "util/file_lock.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace log = util::log;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

/// A reader (HTTP) gets a snapshot at most this old, and after a status change at most
/// snapshot_min_age old; it is built when a reader asks, not on a clock (at 10,000 targets a
/// rebuild every second was a tenth of the daemon's CPU while nobody was looking).
constexpr auto snapshot_max_age = 1s;
/// After a change, a snapshot this old is rebuilt (at most 4 builds a second in a storm).
constexpr auto snapshot_min_age = 250ms;
/// How long a reader waits for the loop to build one before it takes the last one.
constexpr auto snapshot_wait = 1s;
/// How often the writer thread commits, at most.
constexpr auto flush_period = 1s;
/// A wakeup of the scheduler also starts the checks planned within this window (a few ms
/// early): one wakeup per window instead of one per check (see Scheduler).
constexpr auto schedule_batch = 20ms;
/// Outbox retries are looked at this often (backoff is in minutes).
constexpr auto outbox_period = 1s;
/// A burst of file events (an editor's save) becomes one reload after this quiet time.
constexpr auto reload_debounce = 200ms;
/// Scheduling lateness is histogrammed in 1 ms steps up to this many ms (then overflow).
constexpr std::size_t lateness_slots = 10000;

log::Level parse_level(std::string const& s) {
    if (s == "debug") {
        return log::Level::debug;
    }
    if (s == "warn") {
        return log::Level::warn;
    }
    if (s == "error") {
        return log::Level::error;
    }
    return log::Level::info;
}

/// URL-safe id: the name with every byte outside [A-Za-z0-9._~-] percent-escaped.
std::string url_id(std::string const& name) {
    std::string out;
    for (char const c : name) {
        auto const u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '.' || c == '_' || c == '~' || c == '-') {
            out.push_back(c);
        } else {
            out += fmt::format("%{:02X}", u);
        }
    }
    return out;
}

/// The persisted part of a state: streaks are capped at what the thresholds look at, so a
/// target that stays UP (or DOWN) writes nothing check after check.
eval::TargetState persisted(eval::TargetState s, eval::Thresholds const& th) {
    s.consecutive_failures = std::min(s.consecutive_failures, std::max(1, th.failure));
    s.consecutive_successes = std::min(s.consecutive_successes, std::max(1, th.success));
    s.last_check = {};
    return s;
}

template <std::size_t N>
void add_to_histogram(std::array<std::uint64_t, N>& counts, double& sum, double seconds) {
    sum += seconds;
    for (std::size_t i = 0; i < probe_duration_buckets.size(); ++i) {
        if (seconds <= probe_duration_buckets[i]) {
            counts[i] += 1;
        }
    }
    counts[N - 1] += 1;  // +Inf
}

/// The SQLite writer: batches are applied in order, in one transaction each, on this thread,
/// so storage never blocks the probe loop. `done(ok)` runs on this thread after each batch.
class Writer {
  public:
    using Done = std::function<void(bool)>;

    explicit Writer(store::SqliteStore& store) : store_(store), thread_([this] { loop(); }) {}
    ~Writer() { stop(); }
    Writer(Writer const&) = delete;
    Writer& operator=(Writer const&) = delete;

    void submit(store::Batch batch, Done done) {
        std::lock_guard lock(mutex_);
        queue_.push_back(Job{std::move(batch), std::move(done), {}});
        cv_.notify_one();
    }
    void prune(util::TimePoint before) {
        std::lock_guard lock(mutex_);
        queue_.push_back(Job{{}, {}, before});
        cv_.notify_one();
    }
    /// Applies what is queued (each failing batch is retried at most 3 more times), then
    /// stops the thread.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) {
                return;
            }
            stopping_ = true;
            cv_.notify_one();
        }
        thread_.join();
    }
    bool healthy() const { return healthy_.load(); }

  private:
    struct Job {
        store::Batch batch;
        Done done;
        std::optional<util::TimePoint> prune_before;
    };

    void loop() {
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) {
                    return;
                }
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            if (job.prune_before) {
                if (auto r = store_.prune(*job.prune_before); !r) {
                    log::warn("cannot prune history: {}", r.error().message);
                }
                continue;
            }
            bool ok = false;
            for (int attempt = 0;; ++attempt) {
                auto r = store_.apply(job.batch);
                if (r) {
                    ok = true;
                    break;
                }
                healthy_ = false;
                log::error("cannot write {}: {} (retrying)", store_.describe(), r.error().message);
                bool stopping = false;
                {
                    std::unique_lock lock(mutex_);
                    cv_.wait_for(lock, 1s, [this] { return stopping_; });
                    stopping = stopping_;
                }
                if (stopping && attempt >= 3) {
                    break;
                }
            }
            healthy_ = ok;
            if (ok && !job.batch.outbox_put.empty()) {
                util::fault_point("daemon-after-commit");  // tests: kill -9 before any send
            }
            if (job.done) {
                job.done(ok);
            }
        }
    }

    store::SqliteStore& store_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    std::atomic<bool> healthy_{true};
    std::thread thread_;  // last: starts after the members it uses
};

}  // namespace

/// A timer that runs `fn` every `period` until the daemon finishes.
struct Periodic {
    asio::steady_timer timer;
    std::chrono::milliseconds period;
    std::function<void()> fn;
};

struct Daemon::Impl {
    /// One target and everything the daemon knows about it.
    struct Slot {
        config::TargetSpec spec;
        std::string id;  ///< url_id(spec.name), computed once per config
        eval::Thresholds thresholds;
        bool active = false;
        std::optional<eval::TargetState> state;
        eval::TargetState saved;  ///< persisted() of what was last queued for the store
        bool last_unknown = false;
        probe::ProbeResult last;
        TargetView counters;  ///< counter, histogram and failure fields of the view
        // Current minute's rollup.
        std::int64_t minute = 0;
        store::MinuteRollup rollup;
    };

    /// An outbox entry on its way: committed once its batch is durable.
    struct Pending {
        store::OutboxEntry entry;
        bool committed = false;
        bool in_flight = false;
    };

    explicit Impl(RunOptions o) : options(std::move(o)) {}

    // -- setup and lifecycle ------------------------------------------------------------
    int run();
    bool load_config(config::Config& out, bool initial);
    void apply_config(config::Config cfg);
    void start_watch();
    void watch_read();
    void schedule_reload(char const* why);
    void reload(char const* why);
    void wait_signal();
    void every(std::chrono::milliseconds period, std::function<void()> fn);
    void arm(Periodic& p);
    void begin_shutdown();
    void shutdown_poll();
    void finish_shutdown();

    // -- checks -------------------------------------------------------------------------
    void arm_scheduler();
    void on_tick();
    void start_probe(std::size_t id, SteadyTime planned);
    void on_result(std::size_t id, std::uint32_t generation, probe::ProbeResult r);
    void run_canaries();
    void record_lateness(SteadyClock::duration lateness);
    void log_minute();

    // -- storage and outbox -------------------------------------------------------------
    void flush(bool urgent);
    void flush_rollups(bool all);
    void on_committed(std::vector<std::string> ids, bool ok);
    void dispatch();
    void on_delivered(std::string const& id, notify::DeliveryResult const& r);
    std::string render(eval::Event const& e) const;

    // -- snapshot -----------------------------------------------------------------------
    void publish();
    SnapshotPtr fresh_snapshot();

    RunOptions options;
    config::Config config;
    asio::io_context io;
    SteadySchedulerClock clock;
    std::unique_ptr<Scheduler> scheduler;
    std::unique_ptr<probe::Engine> engine;
    std::unique_ptr<notify::ExecNotifier> notifier;
    config::NotifierSpec notifier_spec;
    DeliveryOptions delivery;
    std::unique_ptr<store::SqliteStore> db;
    std::unique_ptr<Writer> writer;
    std::optional<util::FileLock> lock;

    std::vector<Slot> slots;
    std::vector<std::uint32_t> generations;  ///< per slot, bumped when it is reused
    std::unordered_map<std::string, std::size_t> by_key;
    std::vector<std::size_t> free_slots;
    std::vector<std::size_t> view_order;  ///< active slots sorted by group, then name

    // Canaries: the connectivity self-check.
    bool connectivity_ok = true;
    std::size_t canary_pending = 0;
    std::size_t canary_up = 0;

    // Storage: what the next batch will carry, and the outbox in event order.
    store::Batch batch;
    std::vector<std::string> batch_ids;  ///< outbox ids this batch makes durable
    bool flush_queued = false;
    std::uint64_t next_seq = 0;
    std::map<std::uint64_t, Pending> outbox;
    std::unordered_map<std::string, std::uint64_t> outbox_seq;  ///< id -> seq
    std::size_t deliveries_in_flight = 0;
    std::uint64_t notifications_sent = 0;
    std::uint64_t notifications_failed = 0;
    std::atomic<std::size_t> writes_in_flight{0};

    // Scheduling statistics.
    std::array<std::uint64_t, probe_duration_buckets.size() + 1> lateness_counts{};
    double lateness_sum = 0;
    std::vector<std::uint32_t> lateness_ms = std::vector<std::uint32_t>(lateness_slots + 1, 0);
    std::uint64_t checks_this_minute = 0;
    std::int64_t current_minute = 0;

    // Timers, signals, file watch.
    asio::steady_timer tick_timer{io};
    std::list<Periodic> periodics;
    std::uint64_t minutes_run = 0;
    SteadyTime shutdown_deadline{};
    asio::steady_timer canary_timer{io};
    asio::steady_timer reload_timer{io};
    asio::steady_timer shutdown_timer{io};
    asio::signal_set signals{io, SIGHUP, SIGTERM, SIGINT};
    std::optional<asio::posix::stream_descriptor> watch;
    std::array<char, 4096> watch_buffer{};
    std::unordered_set<std::string> watched_names;
    std::vector<std::string> watched_dirs;
    bool tick_armed = false;
    SteadyTime tick_at{};
    bool stopping = false;
    bool finished = false;
    util::TimePoint started = util::Clock::now();
    std::vector<Scheduler::Due> due;

    // The snapshot: built on the loop, read by the HTTP thread (see snapshot_max_age).
    mutable std::mutex snapshot_mutex;
    std::condition_variable snapshot_built_cv;
    SnapshotPtr current_snapshot;
    SteadyClock::time_point snapshot_built{};
    std::uint64_t snapshot_generation = 0;
    bool snapshot_wanted = false;  ///< a build is posted to the loop
    bool loop_done = false;        ///< nothing posted to the loop runs any more
    /// A status, the target set, connectivity or the outbox changed since the last build.
    std::atomic<bool> snapshot_stale{true};
    std::atomic<store::HistoryReader*> history{nullptr};
    /// HTTP on its own thread; declared after db, so it stops before the store closes.
    std::unique_ptr<http::Server> http_server;
};

bool Daemon::Impl::load_config(config::Config& out, bool initial) {
    auto loaded = config::load_config(options.config);
    if (!loaded) {
        log::error("cannot read config {}: {}", options.config.string(),
                   loaded.error().code ? loaded.error().code.message() : loaded.error().message);
        return false;
    }
    for (auto const& d : loaded->diagnostics) {
        if (d.severity == config::Diagnostic::Severity::error) {
            log::error("{}", d.to_string());
        } else {
            log::warn("{}", d.to_string());
        }
    }
    if (loaded->has_errors()) {
        log::error("{}: config has errors; {}", options.config.string(),
                   initial ? "not starting" : "keeping the previous config");
        return false;
    }
    out = std::move(loaded->config);
    return true;
}

void Daemon::Impl::apply_config(config::Config cfg) {
    log::set_level(parse_level(options.log_level.empty() ? cfg.log_level : options.log_level));
    scheduler->set_max_in_flight(cfg.concurrency);

    // Targets: keep the state of those that remain (by HOST:PORT), drop the removed ones.
    std::unordered_set<std::string> keep;
    for (auto const& spec : cfg.targets) {
        keep.insert(spec.target.key());
    }
    for (std::size_t id = 0; id < slots.size(); ++id) {
        auto& s = slots[id];
        if (s.active && !keep.count(s.spec.target.key())) {
            scheduler->remove(id);
            by_key.erase(s.spec.target.key());
            batch.removed.push_back(s.spec.target.key());
            s = Slot{};
            ++generations[id];
            free_slots.push_back(id);
        }
    }
    std::size_t added = 0;
    for (auto& spec : cfg.targets) {
        auto const key = spec.target.key();
        std::size_t id;
        if (auto it = by_key.find(key); it != by_key.end()) {
            id = it->second;
        } else {
            if (!free_slots.empty()) {
                id = free_slots.back();
                free_slots.pop_back();
            } else {
                id = slots.size();
                slots.emplace_back();
                generations.push_back(0);
            }
            by_key.emplace(key, id);
            slots[id].active = true;
            ++added;
        }
        auto& s = slots[id];
        s.thresholds = thresholds_of(spec.thresholds);
        s.id = url_id(spec.name);
        scheduler->set(id, key, spec.interval);
        s.spec = std::move(spec);
    }
    cfg.targets.clear();  // moved into the slots

    view_order.clear();
    for (std::size_t id = 0; id < slots.size(); ++id) {
        if (slots[id].active) {
            view_order.push_back(id);
        }
    }
    std::sort(view_order.begin(), view_order.end(), [this](std::size_t a, std::size_t b) {
        auto const& x = slots[a].spec;
        auto const& y = slots[b].spec;
        return std::tie(x.group, x.name) < std::tie(y.group, y.name);
    });

    // The notifier: the exec notifier of `check`; push_msg.py beside the config by default.
    auto const spec = cfg.notifiers.empty() ? config::NotifierSpec{} : cfg.notifiers.front();
    if (!notifier || !(spec == notifier_spec)) {
        fs::path const dir = fs::absolute(options.config).parent_path();
        auto argv = spec.command.empty() ? notify::default_notify_command(dir) : spec.command;
        notifier.reset();  // deliveries in flight complete as failed and are retried
        notifier = std::make_unique<notify::ExecNotifier>(
            io, notify::ExecOptions{.argv = std::move(argv), .cwd = dir});
        notifier_spec = spec;
    }
    delivery.concurrency = spec.concurrency;
    delivery.timeout = spec.timeout;
    delivery.retry.max_age = spec.max_age;

    if (!config.store.empty() && cfg.store != config.store) {
        log::warn("store changed to {}: takes effect at the next restart", cfg.store);
        cfg.store = config.store;
    }
    config = std::move(cfg);
    connectivity_ok = true;
    canary_timer.cancel();
    if (!config.connectivity.canaries.empty()) {
        canary_timer.expires_after(0s);
        canary_timer.async_wait([this](auto ec) {
            if (!ec) {
                run_canaries();
            }
        });
    }
    log::info("config {}: {} target(s), {} added; store {}", config.file.string(),
              view_order.size(), added, config.store);
    snapshot_stale.store(true, std::memory_order_relaxed);
    arm_scheduler();
}

// -- checks ---------------------------------------------------------------------------------

void Daemon::Impl::arm_scheduler() {
    if (stopping) {
        return;
    }
    auto const next = scheduler->next_wakeup();
    if (!next) {
        return;
    }
    if (tick_armed && tick_at <= *next) {
        return;
    }
    tick_armed = true;
    tick_at = *next;
    tick_timer.expires_at(*next);
    tick_timer.async_wait([this](boost::system::error_code ec) {
        if (ec == asio::error::operation_aborted) {
            return;
        }
        tick_armed = false;
        on_tick();
    });
}

void Daemon::Impl::on_tick() {
    if (stopping) {
        return;
    }
    due.clear();
    scheduler->take_due(due);
    for (auto const& d : due) {
        start_probe(d.id, d.planned);
    }
    arm_scheduler();
}

void Daemon::Impl::record_lateness(SteadyClock::duration lateness) {
    auto const seconds = std::chrono::duration<double>(lateness).count();
    add_to_histogram(lateness_counts, lateness_sum, std::max(0.0, seconds));
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(lateness).count();
    lateness_ms[static_cast<std::size_t>(std::clamp<long long>(ms, 0, lateness_slots))] += 1;
    ++checks_this_minute;
}

void Daemon::Impl::start_probe(std::size_t id, SteadyTime planned) {
    auto& s = slots[id];
    record_lateness(clock.now() - planned);
    auto const generation = generations[id];
    engine->submit(
        probe::ProbeRequest{.kind = s.spec.target.kind,
                            .host = s.spec.target.connect_host(),
                            .port = s.spec.target.port,
                            .timeout = s.spec.timeout},
        [this, id, generation](probe::ProbeResult r) { on_result(id, generation, std::move(r)); });
}

void Daemon::Impl::on_result(std::size_t id, std::uint32_t generation, probe::ProbeResult r) {
    scheduler->done(id);
    if (finished) {
        return;  // cancelled by the engine's stop: says nothing about the target
    }
    if (generations[id] != generation || !slots[id].active) {
        arm_scheduler();
        return;  // removed by a reload while in flight
    }
    auto& s = slots[id];
    auto const now = util::Clock::now();
    auto const latency_s = std::chrono::duration<double>(r.latency).count();

    // Counters, histogram and the minute's rollup: no allocation on the common path.
    auto& c = s.counters;
    c.checks_total += 1;
    add_to_histogram(c.duration_counts, c.duration_sum, latency_s);
    auto const minute =
        std::chrono::duration_cast<std::chrono::minutes>(now.time_since_epoch()).count();
    if (minute != s.minute) {
        if (s.rollup.checks > 0) {
            batch.rollups.push_back(s.rollup);
        }
        s.minute = minute;
        s.rollup = store::MinuteRollup{.key = s.spec.target.key(), .minute = minute};
    }
    s.rollup.checks += 1;
    if (r.up) {
        double const ms = latency_s * 1000.0;
        s.rollup.latency_min_ms =
            s.rollup.latency_count == 0 ? ms : std::min(s.rollup.latency_min_ms, ms);
        s.rollup.latency_max_ms = std::max(s.rollup.latency_max_ms, ms);
        s.rollup.latency_sum_ms += ms;
        s.rollup.latency_count += 1;
    } else {
        s.rollup.failures += 1;
        c.failures_by_reason[r.reason()] += 1;
    }

    // Evaluate: a failure while every canary is failing says nothing about the target.
    eval::Observation const obs{.up = r.up,
                                .reason = r.up ? std::string() : r.reason(),
                                .detail = r.detail,
                                .unknown = (!r.up && !connectivity_ok) || r.is_local()};
    auto ev = eval::evaluate(s.spec.target, s.state, obs, s.thresholds, now);
    auto const from = s.state ? s.state->status : eval::Status::unknown;
    s.last_unknown = obs.unknown;
    s.last = std::move(r);
    bool urgent = false;
    if (ev.state.status != from) {
        // Every status change is history, announced or not (a first-seen UP is silent).
        c.transitions_total += 1;
        batch.transitions.push_back(store::Transition{.target_key = s.spec.target.key(),
                                                      .from = from,
                                                      .to = ev.state.status,
                                                      .time = now,
                                                      .reason = ev.state.reason});
        // A first-seen UP is routine (50,000 of them at startup): debug only.
        if (from != eval::Status::unknown || ev.state.status != eval::Status::up ||
            log::enabled(log::Level::debug)) {
            log::write(from == eval::Status::unknown && ev.state.status == eval::Status::up
                           ? log::Level::debug
                           : log::Level::info,
                       fmt::format("{} {} ({})", eval::status_name(ev.state.status), s.spec.name,
                                   ev.state.reason.empty()
                                       ? s.spec.target.key()
                                       : s.spec.target.key() + ": " + ev.state.reason));
        }
        snapshot_stale.store(true, std::memory_order_relaxed);
    }
    if (ev.event) {
        store::OutboxEntry entry{.event = std::move(*ev.event)};
        entry.message = render(entry.event);
        batch.outbox_put.push_back(entry);
        batch_ids.push_back(entry.event.id);
        auto const seq = next_seq++;
        outbox_seq[entry.event.id] = seq;
        outbox.emplace(seq, Pending{std::move(entry)});
        urgent = true;
        snapshot_stale.store(true, std::memory_order_relaxed);
    }
    auto p = persisted(ev.state, s.thresholds);
    if (!(p == s.saved)) {
        s.saved = p;
        batch.states.emplace_back(s.spec.target.key(), std::move(p));
    }
    s.state = std::move(ev.state);
    if (urgent) {
        flush(true);  // durable before visible: the notifier runs once this batch commits
    }
    arm_scheduler();
}

void Daemon::Impl::run_canaries() {
    if (stopping || canary_pending > 0) {
        return;
    }
    auto const& canaries = config.connectivity.canaries;
    canary_pending = canaries.size();
    canary_up = 0;
    for (auto const& t : canaries) {
        engine->submit(
            probe::ProbeRequest{
                .host = t.connect_host(), .port = t.port, .timeout = config.connectivity.timeout},
            [this](probe::ProbeResult r) {
                canary_up += r.up ? 1 : 0;
                if (--canary_pending > 0) {
                    return;
                }
                bool const ok = canary_up > 0;
                if (ok != connectivity_ok) {
                    if (ok) {
                        log::warn("connectivity restored: a canary answers again");
                    } else {
                        log::error(
                            "connectivity lost: all {} canaries fail; failures are "
                            "UNKNOWN and nothing is announced until one answers",
                            config.connectivity.canaries.size());
                    }
                    connectivity_ok = ok;
                    snapshot_stale.store(true, std::memory_order_relaxed);
                }
                if (stopping) {
                    return;
                }
                canary_timer.expires_after(config.connectivity.interval);
                canary_timer.async_wait([this](auto ec) {
                    if (!ec) {
                        run_canaries();
                    }
                });
            });
    }
}

void Daemon::Impl::log_minute() {
    // One line a minute: checks and scheduling lateness percentiles (the bench reads it).
    std::uint64_t total = 0;
    for (auto n : lateness_ms) {
        total += n;
    }
    auto pct = [&](double q) -> long long {
        auto const want = static_cast<std::uint64_t>(q * static_cast<double>(total));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < lateness_ms.size(); ++i) {
            seen += lateness_ms[i];
            if (seen > want) {
                return static_cast<long long>(i);
            }
        }
        return static_cast<long long>(lateness_slots);
    };
    if (total > 0) {
        long long max = 0;
        for (std::size_t i = 0; i < lateness_ms.size(); ++i) {
            if (lateness_ms[i] > 0) {
                max = static_cast<long long>(i);
            }
        }
        log::info(
            "stats: {} checks in the last minute; lateness p50 {} ms, p99 {} ms, max {} ms; "
            "{} in flight, {} skipped turns, outbox {}",
            total, pct(0.5), pct(0.99), max, scheduler->in_flight(), scheduler->skipped(),
            outbox.size());
    }
    std::fill(lateness_ms.begin(), lateness_ms.end(), 0);
}

// -- storage and outbox ---------------------------------------------------------------------

std::string Daemon::Impl::render(eval::Event const& e) const {
    if (e.reminder) {
        return notify::render_template(
            e.description.empty() ? notifier_spec.reminder_bare : notifier_spec.reminder, e);
    }
    return notify::render_message(e, templates_of(notifier_spec));
}

void Daemon::Impl::flush_rollups(bool all) {
    // Rollups of finished minutes (or all, at shutdown) join the next batch.
    auto const minute =
        std::chrono::duration_cast<std::chrono::minutes>(util::Clock::now().time_since_epoch())
            .count();
    for (auto& s : slots) {
        if (s.active && s.rollup.checks > 0 && (all || s.minute < minute)) {
            batch.rollups.push_back(s.rollup);
            s.rollup = store::MinuteRollup{.key = s.spec.target.key(), .minute = s.minute};
        }
    }
}

void Daemon::Impl::flush(bool urgent) {
    if (!urgent) {
        if (flush_queued) {
            return;
        }
        flush_queued = true;
        return;
    }
    flush_queued = false;
    if (batch.empty()) {
        return;
    }
    store::Batch b = std::move(batch);
    batch = store::Batch{};
    std::vector<std::string> ids = std::move(batch_ids);
    batch_ids.clear();
    ++writes_in_flight;
    writer->submit(std::move(b), [this, ids = std::move(ids)](bool ok) mutable {
        asio::post(io, [this, ids = std::move(ids), ok]() mutable {
            --writes_in_flight;
            on_committed(std::move(ids), ok);
        });
    });
}

void Daemon::Impl::on_committed(std::vector<std::string> ids, bool ok) {
    if (!ok) {
        // Never announce what is not durable: these events stay unannounced until a restart
        // reloads what did reach the disk (nothing, for this batch).
        log::error("{} event(s) were not saved and will not be announced", ids.size());
        for (auto const& id : ids) {
            if (auto it = outbox_seq.find(id); it != outbox_seq.end()) {
                outbox.erase(it->second);
                outbox_seq.erase(it);
            }
        }
        return;
    }
    for (auto const& id : ids) {
        if (auto it = outbox_seq.find(id); it != outbox_seq.end()) {
            outbox.at(it->second).committed = true;
        }
    }
    dispatch();
}

void Daemon::Impl::dispatch() {
    if (!notifier) {
        return;
    }
    auto const now = util::Clock::now();
    std::unordered_set<std::string> blocked;  // keys with an earlier entry not yet delivered
    std::vector<std::string> expired;
    for (auto& [seq, p] : outbox) {
        if (deliveries_in_flight >= std::max<std::size_t>(1, delivery.concurrency)) {
            break;
        }
        auto const& key = p.entry.event.key;
        if (blocked.count(key)) {
            continue;
        }
        blocked.insert(key);  // one at a time per target, in order
        if (!p.committed || p.in_flight) {
            continue;
        }
        if (is_expired(p.entry, now, delivery.retry)) {
            log::error("NOTIFY dropped after {} attempts, older than {} days: {} ({})",
                       p.entry.attempts, delivery.retry.max_age.count() / 86400, p.entry.message,
                       p.entry.last_error);
            expired.push_back(p.entry.event.id);
            blocked.erase(key);
            continue;
        }
        if (p.entry.next_attempt > now || stopping) {
            continue;
        }
        p.in_flight = true;
        ++deliveries_in_flight;
        auto const id = p.entry.event.id;
        notifier->deliver(notify::Notification{p.entry.event, p.entry.message}, delivery.timeout,
                          [this, id](notify::DeliveryResult r) { on_delivered(id, r); });
    }
    for (auto const& id : expired) {
        batch.outbox_delete.push_back(id);
        outbox.erase(outbox_seq.at(id));
        outbox_seq.erase(id);
    }
}

void Daemon::Impl::on_delivered(std::string const& id, notify::DeliveryResult const& r) {
    --deliveries_in_flight;
    auto it = outbox_seq.find(id);
    if (it == outbox_seq.end()) {
        return;
    }
    auto& p = outbox.at(it->second);
    p.in_flight = false;
    if (r.ok) {
        log::info("NOTIFY sent: {}", p.entry.message);
        ++notifications_sent;
        batch.outbox_delete.push_back(id);
        outbox.erase(it->second);
        outbox_seq.erase(it);
    } else {
        ++notifications_failed;
        p.entry.attempts += 1;
        p.entry.last_error = r.detail;
        p.entry.next_attempt =
            next_attempt_after(p.entry.attempts, util::Clock::now(), delivery.retry);
        log::error("NOTIFY failed (attempt {}, retried from {}): {}: {}", p.entry.attempts,
                   util::format_log_time(p.entry.next_attempt), p.entry.message, r.detail);
        batch.outbox_put.push_back(p.entry);
    }
    flush(false);
    snapshot_stale.store(true, std::memory_order_relaxed);
    dispatch();
}

// -- snapshot -------------------------------------------------------------------------------

void Daemon::Impl::publish() {
    auto snap = std::make_shared<Snapshot>();
    snap->taken = util::Clock::now();
    snap->targets.reserve(view_order.size());
    for (auto const id : view_order) {
        auto const& s = slots[id];
        TargetView v = s.counters;  // counters, histogram, failures_by_reason
        v.id = s.id;
        v.name = s.spec.name;
        v.host = s.spec.target.host;
        v.port = s.spec.target.port;
        v.description = s.spec.target.description;
        v.group = s.spec.group;
        v.labels = s.spec.labels;
        if (s.state) {
            v.status = s.last_unknown ? eval::Status::unknown : s.state->status;
            v.since = s.state->since;
            v.reason = s.state->reason;
            v.last_check = s.state->last_check;
        }
        v.detail = s.last.detail;
        v.last_latency = s.last.latency;
        snap->targets.push_back(std::move(v));
    }
    auto& pv = snap->process;
    pv.version = PORTWATCH_VERSION;
    pv.started = started;
    pv.outbox_size = outbox.size();
    pv.notifications_sent = notifications_sent;
    pv.notifications_failed = notifications_failed;
    pv.lateness_counts = lateness_counts;
    pv.lateness_sum = lateness_sum;
    pv.config_loaded = true;
    pv.store_writable = writer && writer->healthy();
    snapshot_stale.store(false, std::memory_order_relaxed);
    {
        std::lock_guard lock(snapshot_mutex);
        current_snapshot = std::move(snap);
        snapshot_built = SteadyClock::now();
        ++snapshot_generation;
        snapshot_wanted = false;
    }
    snapshot_built_cv.notify_all();
}

// From a reader's thread (never the loop's): the last snapshot while it is fresh, else a new
// one built on the loop, waited for at most snapshot_wait (then the last one).
SnapshotPtr Daemon::Impl::fresh_snapshot() {
    std::unique_lock lock(snapshot_mutex);
    auto const age = SteadyClock::now() - snapshot_built;
    bool const fresh = current_snapshot && age < (snapshot_stale.load(std::memory_order_relaxed)
                                                      ? std::chrono::nanoseconds(snapshot_min_age)
                                                      : std::chrono::nanoseconds(snapshot_max_age));
    if (fresh || loop_done) {
        return current_snapshot;
    }
    auto const seen = snapshot_generation;
    if (!snapshot_wanted) {
        snapshot_wanted = true;
        asio::post(io, [this] { publish(); });
    }
    snapshot_built_cv.wait_for(lock, snapshot_wait,
                               [&] { return snapshot_generation != seen || loop_done; });
    return current_snapshot;
}

// -- lifecycle ------------------------------------------------------------------------------

void Daemon::Impl::start_watch() {
    int const fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        log::warn("cannot watch {} for changes (inotify: {}); reload with SIGHUP",
                  options.config.string(), std::strerror(errno));
        return;
    }
    watch.emplace(io, fd);
    // Watch the directories (editors replace files by rename) and filter by name.
    std::unordered_set<std::string> dirs;
    auto add = [&](fs::path const& file) {
        auto const abs = fs::absolute(file);
        watched_names.insert(abs.filename().string());
        auto const dir = abs.parent_path().string();
        if (dirs.insert(dir).second &&
            ::inotify_add_watch(fd, dir.c_str(),
                                IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0) {
            log::warn("cannot watch {}: {}", dir, std::strerror(errno));
        }
    };
    add(options.config);
    std::unordered_set<std::string> lists;
    for (auto const& s : slots) {
        if (s.active && s.spec.target.file != config.file.string()) {
            lists.insert(s.spec.target.file);
        }
    }
    for (auto const& l : lists) {
        add(l);
    }
    watch_read();
}

void Daemon::Impl::watch_read() {
    watch->async_read_some(
        asio::buffer(watch_buffer), [this](boost::system::error_code ec, std::size_t n) {
            if (ec || stopping) {
                return;
            }
            bool relevant = false;
            for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
                auto const* ev = reinterpret_cast<inotify_event const*>(watch_buffer.data() + off);
                if (ev->len > 0 && watched_names.count(ev->name)) {
                    relevant = true;
                }
                off += sizeof(inotify_event) + ev->len;
            }
            if (relevant) {
                schedule_reload("config file changed");
            }
            watch_read();
        });
}

void Daemon::Impl::schedule_reload(char const* why) {
    reload_timer.expires_after(reload_debounce);
    reload_timer.async_wait([this, why](auto ec) {
        if (!ec) {
            reload(why);
        }
    });
}

void Daemon::Impl::reload(char const* why) {
    if (stopping) {
        return;
    }
    log::info("reloading {} ({})", options.config.string(), why);
    ::sd_notify(0, "RELOADING=1");
    config::Config next;
    if (load_config(next, false)) {
        apply_config(std::move(next));
    }
    ::sd_notify(0, "READY=1");
}

void Daemon::Impl::begin_shutdown() {
    if (stopping) {
        return;
    }
    stopping = true;
    ::sd_notify(0, "STOPPING=1");
    if (http_server) {
        http_server->stop();
    }
    log::info("stopping: {} probe(s) and {} notification(s) in flight, waiting at most {} ms",
              scheduler->in_flight(), deliveries_in_flight, config.shutdown_grace.count());
    for (auto* t : {&tick_timer, &canary_timer, &reload_timer}) {
        t->cancel();
    }
    signals.cancel();
    if (watch) {
        watch->close();
    }
    shutdown_deadline = SteadyClock::now() + config.shutdown_grace;
    shutdown_poll();
}

void Daemon::Impl::shutdown_poll() {
    // Poll until in-flight work is done or the grace is over (every wait is bounded).
    bool const idle =
        scheduler->in_flight() == 0 && deliveries_in_flight == 0 && canary_pending == 0;
    if (idle || SteadyClock::now() >= shutdown_deadline) {
        if (!idle) {
            log::warn(
                "stop: grace period over; {} probe(s), {} notification(s) abandoned "
                "(undelivered events stay in the outbox)",
                scheduler->in_flight(), deliveries_in_flight);
        }
        finish_shutdown();
        return;
    }
    shutdown_timer.expires_after(20ms);
    shutdown_timer.async_wait([this](auto ec) {
        if (!ec) {
            shutdown_poll();
        }
    });
}

void Daemon::Impl::wait_signal() {
    signals.async_wait([this](boost::system::error_code ec, int sig) {
        if (ec) {
            return;
        }
        if (sig == SIGHUP) {
            reload("SIGHUP");
            wait_signal();
        } else {
            log::info("{} received", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            begin_shutdown();
        }
    });
}

void Daemon::Impl::every(std::chrono::milliseconds period, std::function<void()> fn) {
    periodics.push_back(Periodic{asio::steady_timer(io), period, std::move(fn)});
    arm(periodics.back());
}

void Daemon::Impl::arm(Periodic& p) {
    p.timer.expires_after(p.period);
    p.timer.async_wait([this, &p](boost::system::error_code ec) {
        if (ec || finished) {
            return;
        }
        p.fn();
        arm(p);
    });
}

void Daemon::Impl::finish_shutdown() {
    if (finished) {
        return;
    }
    finished = true;
    engine->stop();
    notifier.reset();  // kills and reaps what is still running; its events stay pending
    flush_rollups(true);
    flush(true);
    shutdown_timer.cancel();
    for (auto& p : periodics) {
        p.timer.cancel();
    }
}

int Daemon::Impl::run() {
    // 1. The config: errors stop the start, each named FILE:LINE:COLUMN.
    if (!fs::exists(options.config)) {
        log::error("config {} not found", options.config.string());
        return run_exit_no_config;
    }
    config::Config cfg;
    if (!load_config(cfg, true)) {
        return run_exit_config;
    }
    log::set_level(parse_level(options.log_level.empty() ? cfg.log_level : options.log_level));

    // 2. The store: SQLite, one daemon per file.
    auto url = store::parse_store_url(cfg.store);
    if (!url || url->scheme != "sqlite") {
        log::error("portwatch run needs a sqlite: store, got '{}'", cfg.store);
        return run_exit_config;
    }
    auto l = util::FileLock::acquire(url->path.string() + ".lock", 2s);
    if (!l) {
        log::error("{}", l.error().message);
        return run_exit_locked;
    }
    lock.emplace(std::move(*l));
    auto opened = store::SqliteStore::open(url->path);
    if (!opened) {
        log::error("{}", opened.error().message);
        return run_exit_store;
    }
    db = std::move(*opened);
    auto loaded = db->load();
    if (!loaded) {
        log::error("cannot load {}: {}", db->describe(), loaded.error().message);
        return run_exit_store;
    }
    writer = std::make_unique<Writer>(*db);
    history = db.get();

    // 3. Targets, with the state they had; the outbox as it was (all of it durable).
    probe::raise_fd_limit();
    scheduler = std::make_unique<Scheduler>(clock, cfg.concurrency, schedule_batch);
    engine =
        std::make_unique<probe::Engine>(io, probe::EngineOptions{.concurrency = cfg.concurrency});
    apply_config(std::move(cfg));
    std::size_t restored = 0;
    for (auto& [key, st] : loaded->state.targets) {
        if (auto it = by_key.find(key); it != by_key.end()) {
            auto& s = slots[it->second];
            s.saved = st;
            s.state = std::move(st);
            ++restored;
        } else {
            batch.removed.push_back(key);  // no longer configured
        }
    }
    for (auto& e : loaded->state.outbox) {
        auto const seq = next_seq++;
        outbox_seq[e.event.id] = seq;
        outbox.emplace(seq, Pending{.entry = std::move(e), .committed = true});
    }
    log::info("portwatch {} running: {} target(s) ({} with saved state), {} pending event(s), {}",
              PORTWATCH_VERSION, view_order.size(), restored, outbox.size(), db->describe());

    // 4. Signals, file watch, periodic work.
    wait_signal();
    start_watch();
    every(flush_period, [this] {
        if (flush_queued || !batch.empty()) {
            flush(true);
        }
    });
    every(outbox_period, [this] {
        if (!stopping) {
            dispatch();
        }
    });
    every(60s, [this] {
        flush_rollups(false);
        log_minute();
        if (minutes_run++ % 60 == 0) {
            writer->prune(util::Clock::now() - config.retention);
        }
    });

    // HTTP: its own thread and io_context (never this loop), reading the published snapshot
    // and the history reader. Changes to http: need a restart.
    if (config.http) {
        http_server = std::make_unique<http::Server>(
            http::options_from_config(*config.http),
            http::ServerSources{.snapshot = [this] { return fresh_snapshot(); },
                                .history = db.get()});
        if (auto r = http_server->start(); !r) {
            log::error("{}", r.error().message);
            writer->stop();
            history = nullptr;
            return run_exit_config;
        }
        log::info("http: serving on {}", http_server->url());
    }

    publish();
    flush(true);
    dispatch();
    ::sd_notify(0, "READY=1");
    log::debug("event loop starting");
    io.run();
    {
        std::lock_guard lock(snapshot_mutex);
        loop_done = true;
    }
    snapshot_built_cv.notify_all();

    // 5. The loop ran dry after finish_shutdown(): drain the writer and exit.
    if (http_server) {
        http_server->stop();
    }
    writer->stop();
    history = nullptr;
    log::info("stopped");
    return run_exit_ok;
}

// -- public ---------------------------------------------------------------------------------

Daemon::Daemon(RunOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Daemon::~Daemon() = default;

int Daemon::run() {
    return impl_->run();
}

SnapshotPtr Daemon::snapshot() const {
    return impl_->fresh_snapshot();
}

store::HistoryReader* Daemon::history() const {
    return impl_->history.load();
}

void Daemon::request_stop() {
    asio::post(impl_->io, [impl = impl_.get()] { impl->begin_shutdown(); });
}

int run_daemon(RunOptions const& options) {
    Daemon daemon(options);
    return daemon.run();
}

}  // namespace portwatch::driver
