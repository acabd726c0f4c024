#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/snapshot.hpp"
#include "store/history.hpp"
#include "util/result.hpp"
#include "util/time.hpp"

namespace portwatch::config {
struct HttpConfig;
}

namespace portwatch::http {

/// TLS on the listening port (PEM files; the certificate file may hold the chain).
struct TlsOptions {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
};

/// How and to whom the HTTP surface is served (http: in portwatch.yaml).
struct HttpOptions {
    /// "ADDRESS:PORT" ("127.0.0.1:9127", "[::1]:9127", "0.0.0.0:9127"); port 0 picks a free
    /// one. Loopback only unless changed.
    std::string listen = "127.0.0.1:9127";
    std::optional<TlsOptions> tls;
    /// Basic auth: user and a crypt(3) hash of the password (yescrypt "$y$", bcrypt "$2b$",
    /// sha512crypt "$6$"), e.g. from `mkpasswd`, or "sha256:HEX". Empty user: off.
    std::string basic_auth_user;
    std::string basic_auth_hash;
    /// Bearer token ("Authorization: Bearer TOKEN"). Empty: off.
    std::string bearer_token;
    /// Title of the status page.
    std::string title = "portwatch status";
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 64 * 1024;
    std::size_t max_connections = 512;
    /// A keep-alive connection that sends nothing for this long between requests is closed.
    std::chrono::milliseconds idle_timeout{30000};
    /// A request (head and body) must arrive whole within this long of its first byte (of
    /// the connection, for the first one): slow-header clients are cut off early.
    std::chrono::milliseconds header_timeout{10000};
    /// Connections from one address at most; beyond it that address's longest-waiting idle
    /// connection is closed (or the new one refused when none is idle).
    std::size_t max_connections_per_address = 128;
    /// A request target longer than this is answered 414.
    std::size_t max_target_bytes = 4096;
    /// Password checks waiting for a verifier thread at most; beyond it: 503.
    std::size_t auth_queue = 32;
    /// Threads computing password hashes (never the server's own thread).
    std::size_t auth_threads = 2;
    /// The status page, /api/v1/status, badges and assets without credentials; /metrics and
    /// the rest of the API stay protected.
    bool public_status = false;
    /// A response that cannot be written within this long is abandoned.
    std::chrono::milliseconds write_timeout{60000};
    /// The status page shows at most this many targets (with their 90-day history).
    std::size_t status_page_targets = 500;
    /// Niceness added to the server thread (Linux: per thread), so that under CPU contention
    /// the probe loop runs first; 0 leaves it as the process.
    int thread_nice = 5;
    /// /metrics: a duration histogram per target (else one of every target's checks).
    bool per_target_histograms = false;
    /// Uptime and rollup answers of the history store are reused for this long.
    std::chrono::seconds history_cache{30};
    /// Requests that read history (target list, a target, events, uptime badges) waiting for
    /// the history thread at most; beyond it: 503 with Retry-After.
    std::size_t history_queue = 64;

    /// True when basic auth or a bearer token is configured.
    bool auth_enabled() const { return !basic_auth_user.empty() || !bearer_token.empty(); }
};

/// What the server reads. The callbacks run on the server's own thread and (snapshot, now)
/// on its history thread: they must be thread-safe.
struct ServerSources {
    /// The latest snapshot (an atomic load of a shared_ptr); null until the first one.
    std::function<http::SnapshotPtr()> snapshot;
    /// History for uptime and transitions; may be null (no history). Thread-safe by contract.
    store::HistoryReader* history = nullptr;
    /// Extra readiness check for /readyz beyond the snapshot's flags; false + why: not ready.
    std::function<bool(std::string& why)> ready;
    /// Clock for history windows; system clock when empty.
    std::function<util::TimePoint()> now;
};

/// The HTTP server of `portwatch run`: /metrics, /api/v1/..., the status page at /, badges,
/// /healthz and /readyz (see docs/api.md).
///
/// It runs on its OWN thread and io_context, never on the probe loop: rendering /metrics for
/// 50,000 targets and SQLite history reads cannot delay a probe. It reads only the immutable
/// snapshot (swapped in whole by the driver) and the thread-safe HistoryReader.
///
///     http::Server server(options, {.snapshot = [&] { return std::atomic_load(&snap); }});
///     if (auto r = server.start(); !r) ...;  // bound and serving
///     ...
///     server.stop();  // stops accepting, closes connections, joins the thread
class Server {
  public:
    Server(HttpOptions options, ServerSources sources);
    /// Calls stop().
    ~Server();
    Server(Server const&) = delete;
    Server& operator=(Server const&) = delete;

    /// Loads TLS files, binds and listens, then serves on a new thread. An error says what
    /// failed (bad listen address, port in use, unreadable certificate).
    util::Result<void> start();

    /// Stops accepting, closes every connection and joins the thread. Idempotent.
    void stop();

    /// The bound port (after start()).
    std::uint16_t port() const;

    /// "http://ADDRESS:PORT" or "https://..." (after start()).
    std::string url() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The server options of an `http:` section of portwatch.yaml.
HttpOptions options_from_config(config::HttpConfig const& config);

/// Splits "ADDRESS:PORT" / "[V6]:PORT"; "localhost" means 127.0.0.1.
util::Result<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view listen);

}  // namespace portwatch::http
