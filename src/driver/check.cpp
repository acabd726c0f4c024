#include "driver/check.hpp"

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "config/lst.hpp"
#include "eval/evaluator.hpp"
#include "notify/exec.hpp"
#include "probe/engine.hpp"
#include "store/json_store.hpp"
#include "util/atomic_file.hpp"
#include "util/file_lock.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace fs = std::filesystem;
namespace log = util::log;

namespace {

struct Checked {
    config::Target const* target;
    probe::ProbeResult result;
    util::TimePoint time;
    bool changed = false;
};

std::string label(config::Target const& t) {
    return t.description.empty() ? t.key() : fmt::format("{} ({})", t.key(), t.description);
}

std::string ms(std::chrono::microseconds us) {
    return fmt::format("{:.1f} ms", us.count() / 1000.0);
}

std::vector<Checked> probe_targets(boost::asio::io_context& io,
                                   std::vector<config::Target> const& targets,
                                   CheckOptions const& options) {
    std::vector<Checked> out(targets.size());
    probe::Engine engine(io, probe::EngineOptions{.concurrency = options.concurrency});
    for (std::size_t i = 0; i < targets.size(); ++i) {
        out[i].target = &targets[i];
        engine.submit(probe::ProbeRequest{.host = targets[i].connect_host(),
                                          .port = targets[i].port,
                                          .timeout = options.timeout},
                      [&out, i](probe::ProbeResult r) {
                          out[i].result = std::move(r);
                          out[i].time = util::Clock::now();
                      });
    }
    io.run();
    return out;
}

void log_result(Checked const& c, bool quiet) {
    if (quiet && !c.changed) {
        return;
    }
    if (c.result.up) {
        log::info("UP   {} {}", label(*c.target), ms(c.result.latency));
    } else {
        log::info("DOWN {} {} after {}: {}", label(*c.target),
                  probe::probe_error_name(c.result.error), ms(c.result.latency), c.result.detail);
    }
}

nlohmann::json json_report(std::vector<Checked> const& checked, config::ListFile const& list,
                           DeliveryStats const& stats, int code) {
    using nlohmann::json;
    json targets = json::array();
    for (auto const& c : checked) {
        targets.push_back(json{
            {"key", c.target->key()},
            {"host", c.target->host},
            {"port", c.target->port},
            {"description", c.target->description},
            {"status", c.result.up ? "UP" : "DOWN"},
            {"reason", probe::probe_error_name(c.result.error)},
            {"detail", c.result.detail},
            {"latency_ms", static_cast<double>(c.result.latency.count()) / 1000.0},
            {"address", c.result.address},
            {"changed", c.changed},
        });
    }
    json diags = json::array();
    for (auto const& d : list.diagnostics) {
        diags.push_back(d.to_string());
    }
    return json{{"targets", std::move(targets)},
                {"diagnostics", std::move(diags)},
                {"notifications",
                 {{"delivered", stats.delivered},
                  {"failed", stats.failed},
                  {"deferred", stats.deferred},
                  {"dropped", stats.dropped}}},
                {"exit_code", code}};
}

}  // namespace

int run_check(CheckOptions const& options) {
    if (options.quiet || options.json) {
        log::set_level(log::Level::warn);
    }
    // 1. The list: a missing one is fatal and leaves the state alone.
    auto loaded = config::load_list(options.list);
    if (!loaded) {
        log::error("{}", loaded.error().code ? fmt::format("{}: {}", loaded.error().message,
                                                           loaded.error().code.message())
                                             : loaded.error().message);
        return exit_no_list;
    }
    config::ListFile const& list = *loaded;
    for (auto const& d : list.diagnostics) {
        log::warn("{}", d.to_string());
    }
    fs::path const dir =
        options.list.has_parent_path() ? options.list.parent_path() : fs::path(".");
    fs::path const state_path =
        options.state.empty() ? dir / "port_check_status.json" : options.state;

    // 2. One run per state file at a time.
    std::optional<util::FileLock> lock;
    if (!options.dry_run) {
        auto l = util::FileLock::acquire(state_path.string() + ".lock", options.lock_timeout);
        if (!l) {
            log::error("{}", l.error().message);
            return l.error().code == std::errc::timed_out ? exit_lock_timeout : exit_store_error;
        }
        lock.emplace(std::move(*l));
    }

    store::JsonStore store(state_path);
    auto previous = store.load();
    if (!previous) {
        log::error("cannot load state: {}: {}", previous.error().message,
                   previous.error().code.message());
        return exit_store_error;
    }
    for (auto const& w : previous->warnings) {
        log::error("{}", w);
    }

    // 3. Probe everything at once.
    boost::asio::io_context io;
    auto checked = probe_targets(io, list.targets, options);

    // 4. Evaluate, and build the new state: listed targets only, in list order.
    store::State next;
    next.outbox = previous->state.outbox;
    eval::Thresholds const thresholds{.notify_first_up = options.notify_first_up};
    std::size_t new_events = 0;
    for (auto& c : checked) {
        auto const* prev = previous->state.find(c.target->key());
        eval::Observation const obs{.up = c.result.up,
                                    .reason = probe::probe_error_name(c.result.error),
                                    .detail = c.result.detail};
        auto ev = eval::evaluate(*c.target, prev ? std::optional(*prev) : std::nullopt, obs,
                                 thresholds, c.time);
        next.targets.emplace_back(c.target->key(), std::move(ev.state));
        if (ev.event) {
            c.changed = true;
            std::string message = notify::render_message(*ev.event, options.templates);
            next.outbox.push_back(
                store::OutboxEntry{.event = std::move(*ev.event), .message = std::move(message)});
            ++new_events;
        }
        log_result(c, options.quiet);
    }

    DeliveryStats stats;
    int code = exit_ok;
    if (options.dry_run) {
        for (std::size_t i = next.outbox.size() - new_events; i < next.outbox.size(); ++i) {
            log::info("NOTIFY (dry run, not sent): {}", next.outbox[i].message);
        }
    } else {
        // 5. Durable before visible: state and new events on disk before any notifier runs.
        if (auto r = store.commit(next); !r) {
            log::error("cannot save state, nothing notified: {}: {}", r.error().message,
                       r.error().code.message());
            return exit_store_error;
        }
        util::fault_point("after-commit");

        // 6. Deliver the outbox: this run's events and any left by earlier runs.
        if (!next.outbox.empty()) {
            std::vector<std::string> argv = options.notify_cmd;
            if (argv.empty()) {
                argv = notify::default_notify_command(fs::absolute(dir));
            }
            notify::ExecNotifier notifier(
                io, notify::ExecOptions{.argv = argv, .cwd = fs::absolute(dir)});
            stats = deliver_outbox(
                io, notifier, next, [&store](store::State const& s) { return store.commit(s); },
                options.delivery, [] { return util::Clock::now(); });
        }
        if (stats.store_failed) {
            code = exit_store_error;
        } else if (stats.pending() > 0) {
            log::warn("{} notification(s) pending, kept for the next run", stats.pending());
            code = exit_pending;
        }
    }
    if (code == exit_ok && list.has_errors()) {
        code = exit_config_errors;
    }
    if (options.json) {
        // Bytes that are not UTF-8 (a description may hold any) become U+FFFD in the report.
        std::string const out = json_report(checked, list, stats, code)
                                    .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
                                "\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fflush(stdout);
    } else if (!options.quiet) {
        std::size_t up = 0;
        for (auto const& c : checked)
            up += c.result.up ? 1 : 0;
        log::info(
            "checked {} targets: {} up, {} down; {} change(s); notifications: {} sent, {} "
            "pending",
            checked.size(), up, checked.size() - up, new_events, stats.delivered, stats.pending());
    }
    return code;
}

}  // namespace portwatch::driver
