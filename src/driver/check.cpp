#include "driver/check.hpp"

#include <algorithm>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "config/lst.hpp"
#include "config/yaml.hpp"
#include "driver/check_probe.hpp"
#include "driver/connectivity.hpp"
#include "driver/diagnostics_log.hpp"
#include "driver/from_config.hpp"
#include "driver/notifier_set.hpp"
#include "driver/pipeline.hpp"
#include "eval/evaluator.hpp"
#include "notify/registry.hpp"
#include "probe/engine.hpp"
#include "probe/registry.hpp"
#include "store/open.hpp"
#include "store/state_index.hpp"
#include "util/fault_point.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace fs = std::filesystem;
namespace log = util::log;

namespace {

std::string label(config::Target const& t) {
    return t.description.empty() ? t.key() : fmt::format("{} ({})", t.key(), t.description);
}

std::string ms(std::chrono::microseconds us) {
    return fmt::format("{:.1f} ms", us.count() / 1000.0);
}

void log_result(Checked const& c, bool quiet) {
    if (quiet && !c.changed) {
        return;
    }
    if (c.up) {
        log::info("UP   {} {}", label(*c.target), ms(c.latency));
    } else if (c.is_local()) {
        log::info("UNKNOWN {}: {}", label(*c.target), c.detail);
    } else {
        log::info("DOWN {} {} after {}: {}", label(*c.target), c.reason(), ms(c.latency), c.detail);
    }
}

nlohmann::json json_report(std::vector<Checked> const& checked, config::ListFile const& list,
                           DeliveryStats const& stats, int code) {
    using nlohmann::json;
    json targets = json::array();
    for (auto const& c : checked) {
        auto& t = targets.emplace_back(json{
            {"key", c.target->key()},
            {"host", c.target->host},
            {"port", c.target->port},
            {"description", c.target->description},
            {"status", c.up ? "UP" : "DOWN"},
            {"reason", c.reason()},
            {"detail", c.detail},
            {"latency_ms", static_cast<double>(c.latency.count()) / 1000.0},
            {"address", c.address},
            {"changed", c.changed},
        });
        if (!c.facts) {
            continue;
        }
        auto const& f = *c.facts;
        if (f.cert_not_after != 0) {
            t["cert_not_after"] = f.cert_not_after;
        }
        if (!f.tls_version.empty()) {
            t["tls_version"] = f.tls_version;
        }
        if (f.http_status != 0) {
            t["http_status"] = f.http_status;
        }
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
    // 1. The list (or the YAML config): a missing one is fatal and leaves the state alone.
    YamlPlan plan;
    auto loaded = options.config.empty() ? config::load_list(options.list)
                                         : util::Result<config::ListFile>(config::ListFile{});
    if (!options.config.empty()) {
        auto yaml = config::load_config(options.config, probe::schema(), notify::notifier_schema());
        if (!yaml) {
            log::error("{}: {}", yaml.error().message, yaml.error().code.message());
            return exit_no_input;
        }
        log_diagnostics(yaml->diagnostics);
        if (yaml->has_errors()) {
            log::error("{}: config has errors; nothing checked, state untouched",
                       options.config.string());
            return exit_config_errors;
        }
        auto& cfg = yaml->config;
        for (auto const& spec : cfg.targets) {
            loaded->targets.push_back(spec.target);
        }
        plan.specs = std::move(cfg.targets);
        plan.canaries = cfg.connectivity.canaries;
        plan.canary_timeout = cfg.connectivity.timeout;
        plan.notifiers = std::move(cfg.notifiers);
        plan.store = cfg.store;
        plan.concurrency = cfg.concurrency;
    }
    if (!loaded) {
        log::error("{}", loaded.error().code ? fmt::format("{}: {}", loaded.error().message,
                                                           loaded.error().code.message())
                                             : loaded.error().message);
        return exit_no_input;
    }
    config::ListFile const& list = *loaded;
    log_diagnostics(list.diagnostics);
    fs::path const& anchor = options.config.empty() ? options.list : options.config;
    fs::path const dir = anchor.has_parent_path() ? anchor.parent_path() : fs::path(".");
    fs::path const state_path =
        options.state.empty() ? dir / "port_check_status.json" : options.state;
    std::string const url = plan.store.empty() ? "json:" + state_path.string() : plan.store;

    // 2. One run per state at a time (the store's lock, taken before anything is read).
    store::OpenOptions open_options;
    if (!options.dry_run) {
        open_options.lock_wait = options.lock_timeout;
    }
    // Only listed targets are loaded (the new state keeps only those): the keys' hashes,
    // sorted, cost 8 bytes a target; a collision merely loads a stale key.
    std::vector<std::size_t> listed_keys;
    listed_keys.reserve(list.targets.size());
    for (auto const& t : list.targets) {
        listed_keys.push_back(std::hash<std::string>{}(t.key()));
    }
    std::sort(listed_keys.begin(), listed_keys.end());
    open_options.keep_key = [&listed_keys](std::string_view key) {
        return std::binary_search(listed_keys.begin(), listed_keys.end(),
                                  std::hash<std::string_view>{}(key));
    };
    auto opened = store::open_store(url, open_options);
    if (!opened) {
        log::error("cannot open store: {}", opened.error().message);
        return opened.error().code == std::errc::timed_out ? exit_locked : exit_store_error;
    }
    std::unique_ptr<store::Store> store_ptr = std::move(*opened);
    store::Store& store = *store_ptr;
    if (!options.dry_run) {
        stop_leftover_notifiers(url);
    }
    auto previous = store.load();
    if (!previous) {
        log::error("cannot load state: {}: {}", previous.error().message,
                   previous.error().code.message());
        return exit_store_error;
    }
    for (auto const& w : previous->warnings) {
        log::error("{}", w);
    }

    // 3. Probe everything at once, canaries with the targets; what timed out last time first
    //    (see probe_order.hpp).
    probe::raise_fd_limit();
    boost::asio::io_context io;
    // The canaries are probed with the targets, appended to the list for the run (a copy of
    // the list would cost as much memory as the list itself at 100k targets).
    auto& probed = loaded->targets;
    std::size_t const listed = probed.size();
    probed.insert(probed.end(), plan.canaries.begin(), plan.canaries.end());
    auto checked = probe_targets(io, probed, previous->state, options, plan);
    std::vector<probe::ProbeResult> canary_results;
    for (std::size_t i = listed; i < checked.size(); ++i) {
        canary_results.push_back(checked[i].result());
    }
    checked.resize(listed);
    probed.resize(listed);
    bool const lost = connectivity_lost(canary_results);
    if (lost) {
        log::error(
            "connectivity lost: all {} canaries fail; failures are UNKNOWN and nothing "
            "is announced",
            plan.canaries.size());
    }

    auto const local_failures = static_cast<std::size_t>(std::count_if(
        checked.begin(), checked.end(), [](Checked const& c) { return c.is_local(); }));
    if (local_failures > 0) {
        log::error(
            "{} target(s) not checked: no file descriptor came free (raise `ulimit -n`); they "
            "are UNKNOWN and nothing is announced for them",
            local_failures);
    }

    // 4. Evaluate, and build the new state: listed targets only, in list order. When the
    //    previous state holds the list's keys in list order (a cron run after the last one:
    //    the common case), it is rewritten in place: a second state of 100,000 targets cost
    //    13 MB at the run's peak.
    auto& old = previous->state.targets;
    bool const in_place =
        old.size() >= checked.size() &&
        std::equal(checked.begin(), checked.end(), old.begin(),
                   [](Checked const& c, auto const& e) { return e.first == c.target->key(); });
    // Same keys in the same order, with the same statuses and failure reasons.
    bool same_statuses = in_place && old.size() == checked.size() && previous->left_out == 0;
    store::State next;
    if (!in_place) {
        next.targets.reserve(checked.size());  // grown by doubling, it briefly held 2.5 copies
    }
    next.outbox = previous->state.outbox;
    eval::Thresholds const thresholds{.notify_first_up = options.notify_first_up};
    fs::path const base_dir = fs::absolute(dir);
    auto notifiers = plan.specs.empty()
                         ? NotifierSet(io, options.notify_cmd, base_dir, options.templates)
                         : NotifierSet(io, plan.notifiers, base_dir);
    std::size_t new_events = 0;
    store::StateIndex previous_index(previous->state);  // only when not in place
    for (auto& c : checked) {
        auto const index = static_cast<std::size_t>(&c - checked.data());
        auto const* prev = in_place ? &old[index].second : previous_index.find(c.target->key());
        auto const* spec = index < plan.specs.size() ? &plan.specs[index] : nullptr;
        auto th = spec != nullptr ? thresholds_of(spec->thresholds) : thresholds;
        if (spec != nullptr && !spec->options.empty()) {
            config::Diagnostics ignored;  // validated when the config was loaded
            auto const opts = probe::parse_options(spec->target.kind, spec->options, ignored);
            th.expiry_warn = probe::expiry_warn(spec->target.kind, opts.get());
        }
        auto const routes = notifiers.routes(spec != nullptr ? spec->notify : std::nullopt);
        auto step = process(*c.target, prev ? std::optional(*prev) : std::nullopt,
                            observation_of(c.result(), !lost), th, c.time, *routes, spec);
        same_statuses =
            same_statuses && prev->status == step.state.status && prev->reason == step.state.reason;
        if (in_place) {
            old[index].second = std::move(step.state);
        } else {
            next.targets.emplace_back(c.target->key(), std::move(step.state));
        }
        c.changed = step.announced();
        new_events += step.entries.size();
        for (auto& entry : step.entries) {
            next.outbox.push_back(std::move(entry));
        }
        log_result(c, options.quiet);
    }
    if (in_place) {
        old.resize(checked.size());
        next.targets = std::move(old);
    }

    drop_oldest_beyond(next.outbox, options.max_pending);

    DeliveryStats stats;
    int code = exit_ok;
    if (options.dry_run) {
        for (std::size_t i = next.outbox.size() - new_events; i < next.outbox.size(); ++i) {
            log::info("NOTIFY (dry run, not sent): {}", next.outbox[i].message);
        }
    } else {
        // 5. Durable before visible: state and new events on disk before any notifier runs.
        // A seed-list run that changed nothing a reader of the file relies on (same keys,
        // statuses, reasons and outbox; counters only matter for thresholds above 1, which
        // only a config has) rewrites nothing: no fsync on the common no-change cron run.
        bool const unchanged = plan.specs.empty() && new_events == 0 &&
                               previous->state.outbox.empty() && same_statuses;
        if (auto r = unchanged ? util::Result<void>() : store.commit(next); !r) {
            log::error("cannot save state, nothing notified: {}: {}", r.error().message,
                       r.error().code.message());
            return exit_store_error;
        }
        util::fault_point("after-commit");

        // 6. Deliver the outbox: this run's events and any left by earlier runs.
        if (!next.outbox.empty()) {
            auto delivery = options.delivery;
            if (!plan.notifiers.empty()) {
                delivery.timeout = plan.notifiers.front().timeout;
                delivery.concurrency = plan.notifiers.front().concurrency;
                delivery.retry.max_age = plan.notifiers.front().max_age;
            }
            stats = deliver_outbox(
                io, notifiers, plan.notifiers, next,
                [&store](store::State const& s) { return store.commit(s); }, delivery,
                notify::OutboxClock::system());
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
            up += c.up ? 1 : 0;
        log::info(
            "checked {} targets: {} up, {} down; {} change(s); notifications: {} sent, {} "
            "pending",
            checked.size(), up, checked.size() - up, new_events, stats.delivered, stats.pending());
    }
    return code;
}

}  // namespace portwatch::driver
