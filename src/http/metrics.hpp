#pragma once

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

/// Renders a snapshot as metrics. Pure: the output depends on the snapshot alone (ages are
/// measured to snapshot.taken), so a server may cache it per snapshot.
std::string render_metrics(http::Snapshot const& snapshot, MetricsFormat format);

/// A label name made valid ([a-zA-Z_][a-zA-Z0-9_]*): other characters become '_', a leading
/// digit gets a '_' in front, an empty name becomes "_".
std::string sanitize_label_name(std::string_view name);

/// Appends a label value escaped for the text formats (\\, \", \n); invalid UTF-8 bytes
/// become U+FFFD.
void append_escaped_label_value(std::string& out, std::string_view value);

}  // namespace portwatch::http
