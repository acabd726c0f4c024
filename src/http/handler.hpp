#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/api.hpp"
#include "http/auth.hpp"
#include "http/history.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"

namespace portwatch::http {

/// The parts of a request the handler looks at (free of Beast, for tests).
struct Request {
    std::string method;  ///< "GET", "HEAD", ...
    std::string target;  ///< "/api/v1/targets?state=down"
    std::string authorization;
    std::string accept;
    std::string accept_encoding;
    std::string peer;  ///< the client's address, for logs
};

/// A response: the body is shared so that a cached /metrics page is written without a copy.
struct Reply {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::shared_ptr<std::string const> body;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// Routes a request to its renderer, with authentication, history reads and a per-snapshot
/// cache of /metrics and the status data. Runs on the server's thread, but for the requests
/// that read history (needs_history()): those run on the server's one history thread and
/// touch nothing else that the server's thread does (the snapshot source and the history
/// reader are thread-safe).
class Handler {
  public:
    Handler(HttpOptions const& options, ServerSources sources);
    ~Handler();
    Handler(Handler const&) = delete;
    Handler& operator=(Handler const&) = delete;

    /// Whether `request` needs credentials (health probes never do; with public_status the
    /// status page, /api/v1/status, badges and assets neither).
    bool needs_auth(Request const& request) const;
    /// Whether answering `request` reads the history store (the target list and a target's
    /// uptime and transitions, the events, uptime badges): such requests are handled off the
    /// server's thread. The status data never is: it comes from the HistoryWorker's summary.
    bool needs_history(Request const& request) const;
    /// The quick and slow halves of authentication (see Authenticator).
    Authenticator& auth() { return auth_; }
    /// The 401 with its challenges.
    Reply unauthorized() const;
    /// Answers a request whose credentials have been checked.
    Reply handle(Request const& request);

  private:
    Reply metrics(Request const& request, http::SnapshotPtr const& snap);
    Reply status_data(http::SnapshotPtr const& snap, Url const& url, bool page);
    util::TimePoint now() const;

    HttpOptions const& options_;
    ServerSources sources_;
    /// sources_.history behind a short cache, for the needs_history() routes only (so used
    /// by the history thread alone); null without history.
    std::unique_ptr<CachedHistory> history_;
    /// The status data's history, read on a thread of its own; null without history.
    std::unique_ptr<HistoryWorker> history_worker_;
    Authenticator auth_;
    struct Cached {
        http::SnapshotPtr snapshot;
        std::shared_ptr<std::string const> body;
        StatusQuery query;                              ///< of the status cache only
        std::shared_ptr<HistorySummary const> history;  ///< of the status cache only
    };
    Cached metrics_cache_[2];
    Cached metrics_gzip_cache_[2];
    Cached status_cache_;
};

}  // namespace portwatch::http
