#include "http/metrics.hpp"

#include <array>
#include <cmath>
#include <iterator>
#include <set>
#include <span>

#include <fmt/format.h>

#include "util/time.hpp"

namespace portwatch::http {
namespace {

/// Label names set by portwatch or by Prometheus itself; a user label with one of these
/// names is renamed "label_<name>".
std::set<std::string, std::less<>> const reserved_labels = {
    "target", "host",    "port",  "group",    "reason", "le",
    "result", "version", "state", "instance", "job",    "phase"};

/// A float as Prometheus reads it: NaN, +Inf, -Inf or the shortest round-trip form.
void append_double(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else {
        fmt::format_to(std::back_inserter(out), "{}", v);
    }
}

void append_uint(std::string& out, std::uint64_t v) {
    fmt::format_int const f(v);
    out.append(f.data(), f.size());
}

/// A bucket bound in canonical form ("1.0", "0.005"), as OpenMetrics wants it.
std::string bucket_bound(double v) {
    auto s = fmt::format("{}", v);
    if (s.find_first_of(".e") == std::string::npos)
        s += ".0";
    return s;
}

/// Writes "# HELP" and "# TYPE" lines. In OpenMetrics a counter family drops "_total".
class Writer {
  public:
    Writer(std::string& out, MetricsFormat format) : out_(out), format_(format) {}

    void family(std::string_view name, std::string_view type, std::string_view help) {
        auto family = name;
        if (format_ == MetricsFormat::openmetrics && type == "counter" &&
            family.ends_with("_total"))
            family.remove_suffix(6);
        fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", family, help,
                       family, type);
    }

    /// One sample: name, "{" + labels (no closing brace; may be empty) + extra + "}" value.
    void sample_prefix(std::string_view name, std::string_view labels, std::string_view extra) {
        out_ += name;
        if (!labels.empty() || !extra.empty()) {
            out_ += '{';
            out_ += labels;
            if (!labels.empty() && !extra.empty())
                out_ += ',';
            out_ += extra;
            out_ += '}';
        }
        out_ += ' ';
    }
    void sample(std::string_view name, std::string_view labels, double v,
                std::string_view extra = {}) {
        sample_prefix(name, labels, extra);
        append_double(out_, v);
        out_ += '\n';
    }
    void sample_uint(std::string_view name, std::string_view labels, std::uint64_t v,
                     std::string_view extra = {}) {
        sample_prefix(name, labels, extra);
        append_uint(out_, v);
        out_ += '\n';
    }

    /// A histogram's _bucket (counts are already cumulative, +Inf last), _sum and _count.
    void histogram(std::string_view name, std::string_view labels,
                   std::span<std::string const> bounds, std::span<std::uint64_t const> counts,
                   double sum) {
        std::string const bucket = std::string(name) + "_bucket";
        for (std::size_t i = 0; i < counts.size(); ++i) {
            out_ += bucket;
            out_ += '{';
            out_ += labels;
            if (!labels.empty())
                out_ += ',';
            out_ += "le=\"";
            out_ += i < bounds.size() ? std::string_view(bounds[i]) : std::string_view("+Inf");
            out_ += "\"} ";
            append_uint(out_, counts[i]);
            out_ += '\n';
        }
        sample(std::string(name) + "_sum", labels, sum);
        sample_uint(std::string(name) + "_count", labels, counts.empty() ? 0 : counts.back());
    }

  private:
    std::string& out_;
    MetricsFormat format_;
};

/// `target="..",host="..",port="..",group=".."` and the user labels, for one target.
std::string target_labels(TargetView const& t) {
    std::string out;
    out.reserve(64 + t.name.size() + t.host.size() + t.group.size());
    out += "target=\"";
    append_escaped_label_value(out, t.name.empty() ? t.id : t.name);
    out += "\",host=\"";
    append_escaped_label_value(out, t.host);
    out += "\",port=\"";
    append_uint(out, t.port);
    out += "\",group=\"";
    append_escaped_label_value(out, t.group);
    out += '"';
    std::set<std::string, std::less<>> seen;
    for (auto const& [key, value] : t.labels) {
        auto name = sanitize_label_name(key);
        if (reserved_labels.contains(name) || name.starts_with("__"))
            name = "label_" + name;
        // Two keys that sanitise to one name: the first (in key order) wins.
        if (!seen.insert(name).second)
            continue;
        out += ',';
        out += name;
        out += "=\"";
        append_escaped_label_value(out, value);
        out += '"';
    }
    return out;
}

double seconds(util::TimePoint t) {
    return util::to_epoch_seconds(t);
}

/// What the last check saw, per target, each only when present (never a 0 for "none").
void render_fact_metrics(Writer& w, std::vector<TargetView> const& targets,
                         std::vector<std::string> const& labels) {
    w.family("portwatch_cert_not_after_seconds", "gauge",
             "Unix time when the certificate the last check saw expires.");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].cert_not_after != 0)
            w.sample("portwatch_cert_not_after_seconds", labels[i],
                     static_cast<double>(targets[i].cert_not_after));
    }
    w.family("portwatch_tls_version_info", "gauge", "TLS version the last check negotiated.");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].tls_version.empty())
            continue;
        std::string extra = "version=\"";
        append_escaped_label_value(extra, targets[i].tls_version);
        extra += '"';
        w.sample_uint("portwatch_tls_version_info", labels[i], 1, extra);
    }
    w.family("portwatch_http_status_code", "gauge", "HTTP status of the last check's response.");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].http_status != 0)
            w.sample_uint("portwatch_http_status_code", labels[i],
                          static_cast<std::uint64_t>(targets[i].http_status));
    }
    w.family("portwatch_probe_phase_seconds", "gauge",
             "When each phase of the last check ended, from its start (connect, tls, first_byte).");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        auto const& t = targets[i];
        std::pair<char const*, std::chrono::microseconds> const phases[] = {
            {"phase=\"connect\"", t.connect_time},
            {"phase=\"tls\"", t.tls_time},
            {"phase=\"first_byte\"", t.first_byte_time}};
        for (auto const& [phase, d] : phases) {
            if (d.count() > 0)
                w.sample("portwatch_probe_phase_seconds", labels[i],
                         std::chrono::duration<double>(d).count(), phase);
        }
    }
}

/// The standard process_* metrics (as the Prometheus client libraries name them).
void render_process_metrics(Writer& w, ProcessStats const& p) {
    w.family("process_cpu_seconds_total", "counter", "User and system CPU time spent, seconds.");
    w.sample("process_cpu_seconds_total", "", p.cpu_seconds);
    w.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    w.sample("process_resident_memory_bytes", "", p.resident_bytes);
    w.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    w.sample("process_virtual_memory_bytes", "", p.virtual_bytes);
    w.family("process_open_fds", "gauge", "Open file descriptors.");
    w.sample("process_open_fds", "", p.open_fds);
    w.family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
    w.sample("process_max_fds", "", p.max_fds);
    w.family("process_start_time_seconds", "gauge",
             "Start time of the process since the Unix epoch, seconds.");
    w.sample("process_start_time_seconds", "", p.start_time_seconds);
}

}  // namespace

MetricsFormat negotiate_metrics_format(std::string_view accept) {
    return accept.find("application/openmetrics-text") != std::string_view::npos
               ? MetricsFormat::openmetrics
               : MetricsFormat::prometheus;
}

char const* metrics_content_type(MetricsFormat format) {
    return format == MetricsFormat::openmetrics
               ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
               : "text/plain; version=0.0.4; charset=utf-8";
}

std::string render_metrics(Snapshot const& snap, MetricsFormat format,
                           MetricsOptions const& options) {
    auto const& targets = snap.targets;
    std::vector<std::string> labels;
    labels.reserve(targets.size());
    std::size_t label_bytes = 0;
    for (auto const& t : targets) {
        labels.push_back(target_labels(t));
        label_bytes += labels.back().size();
    }
    std::vector<std::string> bounds;
    for (double b : http::probe_duration_buckets)
        bounds.push_back(bucket_bound(b));

    std::string out;
    // About 10 lines per target of ~45 bytes plus the labels (25 with histograms).
    std::size_t const lines = options.per_target_histograms ? 30 : 10;
    out.reserve(4096 + targets.size() * lines * 45 + label_bytes * lines);
    Writer w(out, format);
    double const taken = seconds(snap.taken);

    w.family("portwatch_target_up", "gauge",
             "State of the target after thresholds (1 UP, 0 DOWN, NaN UNKNOWN); "
             "portwatch_probe_success is the last check itself.");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        auto const s = targets[i].status;
        w.sample("portwatch_target_up", labels[i],
                 s == eval::Status::up     ? 1.0
                 : s == eval::Status::down ? 0.0
                                           : std::nan(""));
    }

    w.family("portwatch_probe_success", "gauge",
             "Whether the last check succeeded, before thresholds (absent before the first).");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].probe_success)
            w.sample_uint("portwatch_probe_success", labels[i], *targets[i].probe_success ? 1 : 0);
    }

    render_fact_metrics(w, targets, labels);

    w.family("portwatch_target_latency_seconds", "gauge",
             "Duration of the last check (NaN before the first one).");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        auto const& t = targets[i];
        double const v = t.last_check == util::TimePoint{}
                             ? std::nan("")
                             : std::chrono::duration<double>(t.last_latency).count();
        w.sample("portwatch_target_latency_seconds", labels[i], v);
    }

    if (options.per_target_histograms) {
        w.family("portwatch_probe_duration_seconds", "histogram", "Duration of the checks.");
        for (std::size_t i = 0; i < targets.size(); ++i)
            w.histogram("portwatch_probe_duration_seconds", labels[i], bounds,
                        targets[i].duration_counts, targets[i].duration_sum);
    } else {
        // One histogram of every target's checks (per target: metrics.per_target_histograms).
        std::array<std::uint64_t, probe_duration_buckets.size() + 1> counts{};
        double sum = 0;
        for (auto const& t : targets) {
            for (std::size_t b = 0; b < counts.size(); ++b)
                counts[b] += t.duration_counts[b];
            sum += t.duration_sum;
        }
        w.family("portwatch_probe_duration_seconds", "histogram",
                 "Duration of the checks of every target.");
        w.histogram("portwatch_probe_duration_seconds", "", bounds, counts, sum);
    }

    w.family("portwatch_checks_total", "counter", "Checks of the target.");
    for (std::size_t i = 0; i < targets.size(); ++i)
        w.sample_uint("portwatch_checks_total", labels[i], targets[i].checks_total);

    w.family("portwatch_checks_failed_total", "counter",
             "Failed checks of the target, every reason (present from zero).");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        std::uint64_t failed = 0;
        for (auto const& [reason, n] : targets[i].failures_by_reason)
            failed += n;
        w.sample_uint("portwatch_checks_failed_total", labels[i], failed);
    }

    w.family("portwatch_check_failures_total", "counter",
             "Failed checks of the target, by reason.");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        for (auto const& [reason, n] : targets[i].failures_by_reason) {
            std::string extra = "reason=\"";
            append_escaped_label_value(extra, reason);
            extra += '"';
            w.sample_uint("portwatch_check_failures_total", labels[i], n, extra);
        }
    }

    w.family("portwatch_state_changes_total", "counter", "State changes of the target.");
    for (std::size_t i = 0; i < targets.size(); ++i)
        w.sample_uint("portwatch_state_changes_total", labels[i], targets[i].transitions_total);

    w.family("portwatch_target_since_seconds", "gauge",
             "Seconds the target has been in its current state, at the snapshot time.");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].since != util::TimePoint{})
            w.sample("portwatch_target_since_seconds", labels[i],
                     std::max(0.0, taken - seconds(targets[i].since)));
    }

    w.family("portwatch_target_last_change_timestamp_seconds", "gauge",
             "Unix time of the last state change of the target.");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].since != util::TimePoint{})
            w.sample("portwatch_target_last_change_timestamp_seconds", labels[i],
                     seconds(targets[i].since));
    }

    w.family("portwatch_target_last_check_timestamp_seconds", "gauge",
             "Unix time of the last check of the target.");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i].last_check != util::TimePoint{})
            w.sample("portwatch_target_last_check_timestamp_seconds", labels[i],
                     seconds(targets[i].last_check));
    }

    std::uint64_t by_state[3] = {0, 0, 0};
    for (auto const& t : targets)
        ++by_state[static_cast<int>(t.status)];
    w.family("portwatch_targets", "gauge", "Targets by current state.");
    w.sample_uint("portwatch_targets", "", by_state[static_cast<int>(eval::Status::up)],
                  "state=\"up\"");
    w.sample_uint("portwatch_targets", "", by_state[static_cast<int>(eval::Status::down)],
                  "state=\"down\"");
    w.sample_uint("portwatch_targets", "", by_state[static_cast<int>(eval::Status::unknown)],
                  "state=\"unknown\"");

    auto const& p = snap.process;
    w.family("portwatch_outbox_size", "gauge", "Notifications waiting for delivery.");
    w.sample_uint("portwatch_outbox_size", "", p.outbox_size);

    w.family("portwatch_notifications_total", "counter", "Notification deliveries, by result.");
    w.sample_uint("portwatch_notifications_total", "", p.notifications_sent, "result=\"sent\"");
    w.sample_uint("portwatch_notifications_total", "", p.notifications_failed, "result=\"failed\"");

    w.family("portwatch_notifications_refused_total", "counter",
             "Notifications a destination refused for good (never retried), by notifier.");
    for (auto const& [notifier, n] : p.notifications_refused) {
        std::string label = "notifier=\"";
        append_escaped_label_value(label, notifier);
        w.sample_uint("portwatch_notifications_refused_total", "", n, label + "\"");
    }
    w.family("portwatch_notifications_coalesced_total", "counter",
             "Older pending notifications dropped by the per-notifier outbox cap.");
    for (auto const& [notifier, n] : p.notifications_coalesced) {
        std::string label = "notifier=\"";
        append_escaped_label_value(label, notifier);
        w.sample_uint("portwatch_notifications_coalesced_total", "", n, label + "\"");
    }

    w.family("portwatch_scheduler_lateness_seconds", "histogram",
             "How late checks started after their planned time.");
    w.histogram("portwatch_scheduler_lateness_seconds", "", bounds, p.lateness_counts,
                p.lateness_sum);

    w.family("portwatch_snapshot_timestamp_seconds", "gauge",
             "Unix time the served snapshot was taken.");
    w.sample("portwatch_snapshot_timestamp_seconds", "", taken);

    if (p.started != util::TimePoint{}) {
        w.family("portwatch_process_start_time_seconds", "gauge", "Unix time the daemon started.");
        w.sample("portwatch_process_start_time_seconds", "", seconds(p.started));
    }

    w.family("portwatch_config_last_reload_successful", "gauge",
             "Whether the last (re)load of the configuration succeeded.");
    w.sample_uint("portwatch_config_last_reload_successful", "", p.last_reload_successful ? 1 : 0);
    if (p.last_reload_success != util::TimePoint{}) {
        w.family("portwatch_config_last_reload_success_timestamp_seconds", "gauge",
                 "Unix time of the last successful (re)load of the configuration.");
        w.sample("portwatch_config_last_reload_success_timestamp_seconds", "",
                 seconds(p.last_reload_success));
    }
    w.family("portwatch_canaries", "gauge", "Connectivity canaries configured.");
    w.sample_uint("portwatch_canaries", "", p.canaries);
    w.family("portwatch_connectivity_up", "gauge",
             "0 while every canary fails (checks then count as UNKNOWN), else 1.");
    w.sample_uint("portwatch_connectivity_up", "", p.connectivity_up ? 1 : 0);

    if (options.process)
        render_process_metrics(w, *options.process);

    w.family("portwatch_build_info", "gauge", "Build information; the value is always 1.");
    std::string version = "version=\"";
    append_escaped_label_value(version, p.version);
    version += '"';
    w.sample_uint("portwatch_build_info", "", 1, version);

    if (format == MetricsFormat::openmetrics)
        out += "# EOF\n";
    return out;
}

}  // namespace portwatch::http
