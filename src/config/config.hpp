#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/notifier.hpp"
#include "config/options.hpp"
#include "config/target.hpp"

namespace portwatch::config {

using Duration = std::chrono::milliseconds;

/// When a target changes state, as written in the config (mapped to eval::Thresholds by the
/// driver; config does not depend on eval).
struct ThresholdSpec {
    int failure = 1;  ///< consecutive failures before DOWN
    int success = 1;  ///< consecutive successes before UP again
    /// "flap_failures failures within the last flap_window checks" also means DOWN; 0 = off.
    int flap_failures = 0;
    int flap_window = 0;
    Duration remind_every{0};  ///< repeat the failure message while DOWN; 0 = never
    bool notify_first_up = false;

    bool operator==(ThresholdSpec const&) const = default;
};

/// One monitored endpoint with its schedule (from the YAML or an included `.lst`).
struct TargetSpec {
    Target target;     ///< host, port, description, and where it was defined
    std::string name;  ///< unique; defaults to HOST:PORT
    Duration interval{30000};
    Duration timeout{5000};
    std::map<std::string, std::string> labels;
    std::string group;
    ThresholdSpec thresholds;
    /// The notifiers (by name) this target's events go to; nullopt = every notifier. Set by
    /// the target's `notify:`, else its include's, else its group's (`groups:`).
    std::optional<std::vector<std::string>> notify;
    /// The keys of the target that its kind reads (validated by that kind at load).
    OptionBag options;

    bool operator==(TargetSpec const&) const = default;
};

/// Connectivity self-check: when every canary fails, failures are UNKNOWN, not alerts.
struct ConnectivitySpec {
    std::vector<Target> canaries;
    Duration interval{10000};
    Duration timeout{2000};

    bool operator==(ConnectivitySpec const&) const = default;
};

/// The `http:` section, for the HTTP layer (plain values; the daemon only passes it on).
struct HttpConfig {
    std::string listen = "127.0.0.1:9107";  ///< HOST:PORT ([::1]:PORT for IPv6)
    std::string tls_cert;                   ///< PEM paths; both empty = plain HTTP
    std::string tls_key;
    std::string basic_user;  ///< auth.basic.user
    std::string basic_hash;  ///< auth.basic.hash (crypt(3)-style or sha256:HEX, HTTP decides)
    std::string bearer_token;
    std::size_t max_connections = 256;
    std::size_t max_connections_per_address = 64;
    Duration request_timeout{10000};  ///< idle keep-alive connection
    Duration header_timeout{10000};   ///< a request's head (and body) must arrive within
    bool public_status = false;       ///< status page, /api/v1/status, badges without auth
    std::size_t max_request_bytes = 16 * 1024;
    std::string title = "portwatch status";  ///< of the status page
    bool per_target_histograms = false;  ///< metrics.per_target_histograms

    bool operator==(HttpConfig const&) const = default;
};

/// A whole `portwatch.yaml`.
struct Config {
    std::filesystem::path file;                   ///< the config file itself
    std::vector<std::filesystem::path> includes;  ///< the lists of `include:`, even empty ones
    std::vector<TargetSpec> targets;
    std::vector<NotifierSpec> notifiers;  ///< named, unique; empty = the seed's exec default
    /// `groups:`: per group name, the notifiers its targets go to (when a target and its
    /// include say nothing); nullopt = every notifier.
    std::map<std::string, std::optional<std::vector<std::string>>> group_notify;
    /// `json:PATH` or `sqlite:PATH`, relative paths resolved beside the config.
    /// Default: sqlite:<config name without extension>.db beside it.
    std::string store;
    std::chrono::seconds retention{90 * 24 * 3600};  ///< rollups and transitions kept
    ConnectivitySpec connectivity;
    std::optional<HttpConfig> http;
    std::size_t concurrency = 1000;  ///< probes in flight at once (global cap)
    std::string log_level = "info";  ///< debug | info | warn | error
    std::string log_format;  ///< text | journal | json; empty: journal under systemd, else text
    Duration shutdown_grace{10000};  ///< SIGTERM: bound on in-flight probes/notifications

    bool operator==(Config const&) const = default;
};

}  // namespace portwatch::config
