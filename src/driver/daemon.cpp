#include "driver/daemon.hpp"

#include <map>
#include <set>

#include <boost/asio/post.hpp>

#include "config/yaml.hpp"
#include "driver/daemon_impl.hpp"
#include "driver/diagnostics_log.hpp"
#include "notify/registry.hpp"
#include "probe/registry.hpp"
#include "store/registry.hpp"
#include "util/log.hpp"
#include "util/systemd.hpp"

namespace portwatch::driver {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace log = util::log;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

/// How often the writer commits what is not urgent (rollups, failed attempts), at most.
constexpr auto flush_period = 1s;
/// A wakeup of the scheduler also starts the checks planned within this window (a few ms
/// early): one wakeup per window instead of one per check (see Scheduler).
constexpr auto schedule_batch = 20ms;

log::Level parse_level(std::string const& s) {
    log::Level level = log::Level::info;
    log::parse_level(s, level);  // validated by the config and the command line
    return level;
}

/// The config file and every list it includes.
std::vector<fs::path> watched_files(config::Config const& cfg, TargetTable const& table) {
    std::set<std::string> files{cfg.file.string()};
    for (auto const& list : cfg.includes) {
        files.insert(list.string());  // an empty list has no target to name it
    }
    for (auto const slot : table.view_order()) {
        files.insert(table[slot].spec.target.file);
    }
    return {files.begin(), files.end()};
}

}  // namespace

Daemon::Impl::Impl(RunOptions o, DaemonParts p) : options(std::move(o)), parts(std::move(p)) {
    if (!parts.clock) {
        parts.clock = [] { return util::Clock::now(); };
    }
    if (!parts.open_store) {
        parts.open_store = [](std::string const& url, store::OpenOptions const& o) {
            return store::open_store(url, o);
        };
    }
    if (!parts.make_notifier) {
        parts.make_notifier = [](boost::asio::io_context& io, config::NotifierSpec const& spec,
                                 notify::NotifierContext const& context) {
            return notify::make_notifier(io, spec, context);
        };
    }
    started = now();
}

bool Daemon::Impl::load_config(config::Config& out, bool initial) {
    auto loaded = config::load_config(options.config, probe::schema(), notify::notifier_schema());
    if (!loaded) {
        log::error("cannot read config {}: {}", options.config.string(),
                   loaded.error().code ? loaded.error().code.message() : loaded.error().message);
        return false;
    }
    log_diagnostics(loaded->diagnostics);
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
    log::Format format = default_log_format;
    if (options.log_format.empty()) {
        log::parse_format(cfg.log_format, format);  // validated with the config
    }
    log::set_format(format);
    scheduler->set_max_in_flight(cfg.concurrency);

    // Targets: the table keeps the state of those that remain; the scheduler follows.
    // A removed target stays in the store while its state is parked (see TargetTable).
    std::map<std::string, std::string> names_before;  // key -> name, for the removed ones
    for (auto const slot : table.view_order()) {
        names_before.emplace(table[slot].key, table[slot].spec.name);
    }
    auto const diff = table.apply(std::move(cfg.targets), now());
    cfg.targets.clear();
    config::Diagnostics ignored;  // validated when the config was loaded
    for (auto const slot : table.view_order()) {
        auto& s = table[slot];
        s.options = probe::parse_options(s.spec.target.kind, s.spec.options, ignored);
        s.thresholds.expiry_warn = probe::expiry_warn(s.spec.target.kind, s.options.get());
        if (notifiers) {
            s.routes = notifiers->routes(s.spec.notify);
        }
    }
    for (std::size_t slot = 0; slot < table.size(); ++slot) {
        if (table[slot].active) {
            scheduler->set(slot, table[slot].key, table[slot].spec.interval);
        } else {
            scheduler->remove(slot);
        }
    }

    // Notifiers: rebuilt only when their specs changed; routes follow the targets.
    apply_notifiers(std::move(cfg.notifiers));
    cfg.notifiers.clear();

    if (!config.store.empty() && cfg.store != config.store) {
        log::warn("store changed to {}: takes effect at the next restart", cfg.store);
        cfg.store = config.store;
    }
    config = std::move(cfg);
    canaries->start(config.connectivity);
    watch.watch(watched_files(config, table));
    log_config_applied(config.file.string(), config.store, table, diff, names_before);
    if (!diff.removed.empty() &&
        diff.removed.size() * 2 > diff.removed.size() + table.view_order().size()) {
        log::warn(
            "the config lost {} of its targets at once; their state is kept for {} min in "
            "case they come back (a list being rewritten)",
            diff.removed.size(),
            std::chrono::duration_cast<std::chrono::minutes>(table.grace()).count());
    }
    publisher.mark_stale();
    arm_scheduler();
}

void Daemon::Impl::reload(char const* why) {
    if (stopping) {
        return;
    }
    log::info("reloading {} ({})", options.config.string(), why);
    util::systemd_notify("RELOADING=1");
    config::Config next;
    last_reload_ok = load_config(next, false);
    if (last_reload_ok) {
        last_reload_success = now();
        auto const http_before = config.http;
        apply_config(std::move(next));
        reload_http(http_before);
    }
    util::systemd_notify("READY=1");
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

void Daemon::Impl::begin_shutdown() {
    if (stopping) {
        return;
    }
    stopping = true;
    util::systemd_notify("STOPPING=1");
    if (http_server) {
        http_server->stop();
    }
    log::info("stopping: {} probe(s) and {} notification(s) in flight, waiting at most {} ms",
              scheduler->in_flight(), outbox->in_flight(), config.shutdown_grace.count());
    outbox->stop();
    outbox_timer.cancel();
    tick_timer.cancel();
    canaries->stop();
    signals.cancel();
    watch.close();
    shutdown_deadline = SteadyClock::now() + config.shutdown_grace;
    shutdown_poll();
}

void Daemon::Impl::shutdown_poll() {
    // Poll until in-flight work is done or the grace is over (every wait is bounded).
    bool const idle = scheduler->in_flight() == 0 && outbox->in_flight() == 0 && !canaries->busy();
    if (idle || SteadyClock::now() >= shutdown_deadline) {
        if (!idle) {
            // A planned stop, not a failure: what was cancelled is sent after the next start.
            log::info(
                "stop: grace period over; {} probe(s) and {} notification(s) cancelled (the "
                "notifications stay in the outbox and go out after the next start)",
                scheduler->in_flight(), outbox->in_flight());
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

void Daemon::Impl::finish_shutdown() {
    if (finished) {
        return;
    }
    finished = true;
    engine->stop();
    check_store_file();  // a store deleted meanwhile is rewritten with the outbox still here
    // Kills and reaps what is still running; its events stay pending.
    outbox.reset();
    retired_notifiers.clear();
    notifiers.reset();
    flush_rollups(true);
    flush();
    shutdown_timer.cancel();
    for (auto& p : periodics) {
        p.timer.cancel();
    }
}

int Daemon::Impl::run() {
    // 1. The config: errors stop the start, each named FILE:LINE:COLUMN.
    if (!fs::exists(options.config)) {
        log::error("config {} not found", options.config.string());
        return exit_no_input;
    }
    config::Config cfg;
    if (!load_config(cfg, true)) {
        return exit_config_errors;
    }
    log::set_level(parse_level(options.log_level.empty() ? cfg.log_level : options.log_level));

    // 2. The store: one daemon per store.
    if (int const rc = open_store(cfg.store); rc != exit_ok) {
        return rc;
    }
    auto loaded = db->load();
    if (!loaded) {
        log::error("cannot load {}: {}", db->describe(), loaded.error().message);
        return exit_store_error;
    }
    writer = std::make_unique<store::Writer>(*db);
    history = db->history();

    // 3. Targets, with the state they had; the outbox as it was (all of it durable).
    probe::raise_fd_limit();
    scheduler = std::make_unique<Scheduler>(clock, cfg.concurrency, schedule_batch);
    engine = std::make_unique<probe::Engine>(
        io, probe::EngineOptions{.concurrency = cfg.concurrency, .kinds = parts.kinds});
    canaries = std::make_unique<CanaryLoop>(io, *engine, [this](bool) { publisher.mark_stale(); });
    apply_config(std::move(cfg));
    std::size_t restored = 0;
    for (auto& [key, st] : loaded->state.targets) {
        if (auto slot = table.find(key)) {
            auto& s = table[*slot];
            s.saved = st;
            s.state = std::move(st);
            ++restored;
        } else {
            table.park(key, std::move(st), now());  // not configured (now)
        }
    }
    for (auto& e : loaded->state.outbox) {
        outbox->add(std::move(e));  // durable: it was loaded from the store
    }
    restore_firing();
    // HTTP: its own thread and io_context (never this loop), reading the published snapshot
    // and the history reader; a reload applies changes (reload_http). Started before "running:" is
    // logged, so that a port in use or a bad certificate stops the start (exit 2) first.
    if (config.http) {
        if (auto r = start_http(*config.http); !r) {
            log::error("{}", r.error().message);
            writer->stop();
            history = nullptr;
            return exit_config_errors;
        }
    }

    log::info("portwatch {} running: {} target(s) ({} with saved state), {} pending event(s), {}",
              PORTWATCH_VERSION, table.view_order().size(), restored, outbox->pending(),
              db->describe());

    // 4. Signals and periodic work.
    wait_signal();
    every(flush_period, [this] {
        check_store_file();  // a store deleted while quiet is written anew within a second
        if (flush_wanted || !batch.empty()) {
            flush();
        }
    });
    every(60s, [this] {
        flush_rollups(false);
        if (auto line = lateness.take_minute_summary(); !line.empty()) {
            log::info("stats: {}; {} in flight, {} skipped turns, outbox {}", line,
                      scheduler->in_flight(), scheduler->skipped(), outbox->pending());
        }
        for (auto& key : table.expire(now())) {
            batch.removed.push_back(std::move(key));
        }
        if (minutes_run++ % 60 == 0) {
            writer->prune(now() - config.retention);
        }
    });

    publisher.publish();
    flush();
    pump_outbox();
    util::systemd_notify("READY=1");
    start_systemd_reports();
    log::debug("event loop starting");
    io.run();
    publisher.loop_done();

    // 5. The loop ran dry after finish_shutdown(): drain the writer and exit.
    if (http_server) {
        http_server->stop();
    }
    writer->stop();
    history = nullptr;
    if (auto const lost = writer->lost(); lost > 0) {
        // Issue 17 item 5: what could not be saved is said, and the exit code tells it. The
        // store keeps what it had: a restart checks again and announces what it sees.
        log::error("stopped with {} batch(es) of changes that could not be saved to {}", lost,
                   db->describe());
        return exit_store_error;
    }
    log::info("stopped");
    return exit_ok;
}

Daemon::Daemon(RunOptions options, DaemonParts parts)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(parts))) {}
Daemon::~Daemon() = default;

int Daemon::run() {
    return impl_->run();
}

http::SnapshotPtr Daemon::snapshot() const {
    return impl_->publisher.fresh();
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
