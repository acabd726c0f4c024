#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/snapshot.hpp"

namespace portwatch::http {

/// Exposition formats of /metrics.
enum class MetricsFormat { prometheus, openmetrics };

/// Picks OpenMetrics when the Accept header asks for it (as Prometheus does), else the
/// Prometheus text format 0.0.4.
MetricsFormat negotiate_metrics_format(std::string_view accept);

/// The Content-Type header value of a format.
char const* metrics_content_type(MetricsFormat format);

/// The standard process_* figures of this process (Linux /proc), read when rendering.
struct ProcessStats {
    double cpu_seconds = 0;
    double resident_bytes = 0;
    double virtual_bytes = 0;
    double open_fds = 0;
    double max_fds = 0;
    double start_time_seconds = 0;
};

/// Reads this process's ProcessStats; empty where /proc cannot be read.
std::optional<ProcessStats> read_process_stats();

/// What render_metrics() includes beyond the snapshot.
struct MetricsOptions {
    /// A duration histogram per target (16 buckets + sum + count each); off: one histogram
    /// of every target's checks (the process-wide one).
    bool per_target_histograms = false;
    /// The process_* metrics; none when empty.
    std::optional<ProcessStats> process;
};

/// Renders a snapshot as metrics. Pure: the output depends on the snapshot and options
/// alone (ages are measured to snapshot.taken), so a server may cache it per snapshot.
std::string render_metrics(http::Snapshot const& snapshot, MetricsFormat format,
                           MetricsOptions const& options = {});

/// True when an Accept-Encoding header value accepts gzip (and does not refuse it, q=0).
bool accepts_gzip(std::string_view accept_encoding);

/// `body` gzip-compressed (zlib, fastest level).
std::string gzip(std::string_view body);

/// A label name made valid ([a-zA-Z_][a-zA-Z0-9_]*): other characters become '_', a leading
/// digit gets a '_' in front, an empty name becomes "_".
std::string sanitize_label_name(std::string_view name);

/// Appends a label value escaped for the text formats (\\, \", \n); invalid UTF-8 bytes
/// become U+FFFD.
void append_escaped_label_value(std::string& out, std::string_view value);

}  // namespace portwatch::http
