#pragma once

// The daemon's private state, shared by daemon.cpp (lifecycle), daemon_checks.cpp (probe
// results through the pipeline) and daemon_outbox.cpp (commits and deliveries).

#include <sys/types.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.hpp"
#include "driver/config_watch.hpp"
#include "driver/connectivity.hpp"
#include "driver/daemon.hpp"
#include "driver/delivery.hpp"
#include "driver/notifier_set.hpp"
#include "driver/pipeline.hpp"
#include "driver/scheduler.hpp"
#include "driver/snapshot_publisher.hpp"
#include "driver/stats.hpp"
#include "driver/target_table.hpp"
#include "http/server.hpp"
#include "notify/outbox.hpp"
#include "probe/engine.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

/// A timer that runs `fn` every `period` until the daemon finishes.
struct Periodic {
    boost::asio::steady_timer timer;
    std::chrono::milliseconds period;
    std::function<void()> fn;
};

struct Daemon::Impl {
    Impl(RunOptions o, DaemonParts p);

    /// The wall clock (parts.clock).
    util::TimePoint now() const { return parts.clock(); }

    // Lifecycle (daemon.cpp).
    int run();
    bool load_config(config::Config& out, bool initial);
    void apply_config(config::Config cfg);
    void reload(char const* why);
    /// Starts the HTTP server of `http` (daemon_http.cpp); the error says why not.
    util::Result<void> start_http(config::HttpConfig const& http);
    /// After a reload: applies a changed http: section (or rotated TLS files) by starting a
    /// new server; when that fails, the previous one keeps serving and the log says so.
    void reload_http(std::optional<config::HttpConfig> const& before);
    void wait_signal();
    void every(std::chrono::milliseconds period, std::function<void()> fn);
    void arm(Periodic& p);
    void begin_shutdown();
    void shutdown_poll();
    void finish_shutdown();
    http::SnapshotPtr build_snapshot() const;

    // Checks (daemon_checks.cpp).
    void arm_scheduler();
    void on_tick();
    void start_probe(std::size_t slot, SteadyTime planned);
    void on_result(std::size_t slot, std::uint32_t generation, probe::ProbeResult r);
    void flush_rollups(bool all);

    // Under systemd (daemon_systemd.cpp): STATUS= when it changes, WATCHDOG=1 from this loop.
    void start_systemd_reports();
    std::string service_status() const;
    void send_service_status();

    // The store itself (daemon_store.cpp).
    int open_store(std::string const& url);
    void check_store_file();
    void recreate_store();

    // Storage and outbox (daemon_outbox.cpp).
    void apply_notifiers(std::vector<config::NotifierSpec> specs);
    void add_to_outbox(store::OutboxEntry entry);
    void flush();
    void on_committed(std::optional<notify::Outbox::Sequence> upto, bool ok);
    void on_refused(notify::OutboxChange const& change);
    void restore_firing();
    void on_outbox_change(notify::OutboxChange const& change);
    void pump_outbox();

    RunOptions options;
    DaemonParts parts;  ///< every part set (the constructor fills in the real ones)
    config::Config config;
    boost::asio::io_context io;
    SteadySchedulerClock clock;
    std::unique_ptr<Scheduler> scheduler;
    std::unique_ptr<probe::Engine> engine;
    std::unique_ptr<store::Store> db;
    std::unique_ptr<store::Writer> writer;
    /// The store's file and its inode, to notice it deleted or replaced while running.
    std::filesystem::path store_file;
    ino_t store_inode = 0;
    /// Stores replaced by recreate_store(): kept open for their lock and for HTTP readers.
    std::vector<std::unique_ptr<store::Store>> retired_stores;
    /// The notifiers of the current config; those of earlier configs stay alive (retired)
    /// so that deliveries they started finish under the settings they started with.
    std::unique_ptr<NotifierSet> notifiers;
    std::vector<std::unique_ptr<NotifierSet>> retired_notifiers;
    std::vector<config::NotifierSpec> notifier_specs;
    std::unique_ptr<notify::Outbox> outbox;
    boost::asio::steady_timer outbox_timer{io};

    TargetTable table;
    LatenessStats lateness;
    std::unique_ptr<CanaryLoop> canaries;
    bool last_reload_ok = true;             ///< for /metrics
    util::TimePoint last_reload_success{};  ///< the start, then each successful reload
    ConfigWatch watch{io, [this] { reload("config file changed"); }};
    SnapshotPublisher publisher{io, [this] { return build_snapshot(); }};

    // Storage: what the next batch will carry (and the last outbox sequence it makes durable).
    store::Batch batch;
    std::optional<notify::Outbox::Sequence> batch_upto;
    bool flush_wanted = false;  ///< flush at the next flush_period tick
    std::uint64_t notifications_sent = 0;
    std::uint64_t notifications_failed = 0;
    std::map<std::string, std::uint64_t> notifications_refused;  ///< per notifier
    /// Per notifier: entries the outbox's cap coalesced away (issue 17 item 12).
    std::map<std::string, std::uint64_t> notifications_coalesced;
    static constexpr std::size_t max_pending_per_destination = 100000;
    std::deque<http::RefusedNotification> refused;  ///< the last 100
    /// Refusals and last errors per destination this run, for /api/v1/daemon.
    std::map<std::string, http::DestinationView> destination_stats;
    /// destination_stats with the entries each destination holds now (daemon_outbox.cpp).
    std::vector<http::DestinationView> destination_views() const;

    // Timers, signals.
    boost::asio::steady_timer tick_timer{io};
    std::list<Periodic> periodics;
    std::uint64_t minutes_run = 0;
    std::string status_sent;  ///< the last STATUS= text sent to systemd
    /// The log format main() chose (--log-format, else journal or text): used when the
    /// config has no log_format, or the command line named one.
    util::log::Format default_log_format = util::log::format();
    SteadyTime shutdown_deadline{};
    boost::asio::steady_timer shutdown_timer{io};
    boost::asio::signal_set signals{io, SIGHUP, SIGTERM, SIGINT};
    bool tick_armed = false;
    SteadyTime tick_at{};
    bool stopping = false;
    bool finished = false;
    util::TimePoint started{};  ///< set by the constructor, from parts.clock
    std::vector<Scheduler::Due> due;

    std::atomic<store::HistoryReader*> history{nullptr};
    /// HTTP on its own thread; declared after db, so it stops before the store closes.
    std::unique_ptr<http::Server> http_server;
    /// The TLS files' sizes and times when the server started: rotated files are re-read.
    std::string http_tls_stamp;
};

}  // namespace portwatch::driver
