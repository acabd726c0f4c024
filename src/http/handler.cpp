#include "http/handler.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "http/api.hpp"
#include "http/badge.hpp"
#include "http/daemon_api.hpp"
#include "http/events.hpp"
#include "http/history.hpp"
#include "http/status_page.hpp"
#include "http/url.hpp"

namespace portwatch::http {
namespace {

constexpr char const* json_type = "application/json; charset=utf-8";
constexpr std::size_t target_transitions = 20;

std::shared_ptr<std::string const> text(std::string s) {
    return std::make_shared<std::string const>(std::move(s));
}

Reply json_reply(int status, std::string body) {
    return Reply{.status = status, .content_type = json_type, .body = text(std::move(body))};
}

Reply error_reply(int status, std::string_view message) {
    return json_reply(status, render_error(status, message));
}

Reply svg_reply(std::string body) {
    return Reply{.status = 200,
                 .content_type = "image/svg+xml; charset=utf-8",
                 .body = text(std::move(body)),
                 .headers = {{"Cache-Control", "no-cache, max-age=0"}}};
}

bool is_get(Request const& r) {
    return r.method == "GET" || r.method == "HEAD";
}

}  // namespace

Handler::Handler(HttpOptions const& options, ServerSources sources)
    : options_(options), sources_(std::move(sources)), auth_(options) {
    if (sources_.history != nullptr) {
        history_ = std::make_unique<CachedHistory>(
            *sources_.history, [this] { return now(); }, options_.history_cache);
        history_worker_ = std::make_unique<HistoryWorker>(
            *sources_.history, [this] { return now(); }, options_.history_cache);
    }
}

Handler::~Handler() = default;

util::TimePoint Handler::now() const {
    return sources_.now ? sources_.now() : util::Clock::now();
}

bool Handler::needs_auth(Request const& req) const {
    Url const url = parse_url(req.target);
    auto const& seg = url.segments;
    if (seg.size() == 1 && (seg[0] == "healthz" || seg[0] == "readyz"))
        return false;
    if (!options_.public_status)
        return true;
    // The public part: what a status page shows, never /metrics or the rest of the API.
    bool const page = seg.empty() || (seg.size() == 1 && seg[0] == "index.html");
    bool const status = seg.size() == 3 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "status";
    bool const open = !seg.empty() && (seg[0] == "badge" || seg[0] == "assets");
    return !(page || status || open);
}

bool Handler::needs_history(Request const& req) const {
    if (!history_ || !is_get(req))
        return false;
    Url const url = parse_url(req.target);
    auto const& seg = url.segments;
    bool const api = seg.size() >= 3 && seg[0] == "api" && seg[1] == "v1";
    if (api && seg.size() == 3)
        return seg[2] == "targets" || seg[2] == "events";
    if (api && seg.size() == 4)
        return seg[2] == "targets";
    return seg.size() == 4 && seg[0] == "badge" && seg[2] == "uptime";
}

Reply Handler::unauthorized() const {
    auto reply = error_reply(401, "authentication required");
    reply.headers.emplace_back("WWW-Authenticate", auth_.challenges());
    return reply;
}

Reply Handler::handle(Request const& req) {
    Url const url = parse_url(req.target);
    auto const& seg = url.segments;
    bool const health = seg.size() == 1 && (seg[0] == "healthz" || seg[0] == "readyz");

    // Nothing here changes state: every endpoint is read-only.
    if (!is_get(req)) {
        auto reply = error_reply(405, "only GET and HEAD are supported");
        reply.headers.emplace_back("Allow", "GET, HEAD");
        return reply;
    }

    if (health && seg[0] == "healthz")
        return Reply{.body = text("ok\n")};

    http::SnapshotPtr const snap = sources_.snapshot ? sources_.snapshot() : nullptr;

    if (health) {
        std::string why;
        if (!snap)
            why = "no snapshot yet\n";
        else if (!snap->process.config_loaded)
            why = "config not loaded\n";
        else if (!snap->process.store_writable)
            why = "store not writable\n";
        else if (sources_.ready) {
            std::string extra;
            if (!sources_.ready(extra))
                why = (extra.empty() ? "not ready" : extra) + "\n";
        }
        return Reply{.status = why.empty() ? 200 : 503,
                     .body = text(why.empty() ? "ready\n" : why)};
    }

    if (seg.size() == 2 && seg[0] == "assets") {
        if (auto const* asset = find_asset(seg[1])) {
            return Reply{.content_type = std::string(asset->content_type),
                         .body = std::make_shared<std::string const>(asset->body),
                         .headers = {{"Cache-Control", "public, max-age=300"}}};
        }
        return error_reply(404, "no such asset");
    }

    if (!snap)
        return error_reply(503, "no snapshot yet: the first checks are still running");

    if (seg.empty() || (seg.size() == 1 && seg[0] == "index.html"))
        return status_data(snap, url, true);
    if (seg.size() == 1 && seg[0] == "metrics")
        return metrics(req, snap);

    if (seg.size() >= 2 && seg[0] == "api" && seg[1] == "v1") {
        if (seg.size() == 3 && seg[2] == "status")
            return status_data(snap, url, false);
        if (seg.size() == 3 && seg[2] == "daemon")
            return json_reply(200, render_daemon(*snap));
        if (seg.size() == 3 && seg[2] == "targets") {
            auto q = parse_target_query(url);
            if (!q)
                return error_reply(400, q.error().message);
            auto const page = select_targets(*snap, *q);
            std::vector<TargetHistory> histories;
            histories.reserve(page.items.size());
            auto const t = now();
            for (auto const* target : page.items)
                histories.push_back(
                    fetch_target_history(history_.get(), history_key(*target), t, 0));
            return json_reply(200, render_targets(*snap, *q, page, histories));
        }
        if (seg.size() == 4 && seg[2] == "targets") {
            auto const* target = find_target(*snap, seg[3]);
            if (target == nullptr)
                return error_reply(404, "no such target");
            auto const history = fetch_target_history(history_.get(), history_key(*target), now(),
                                                      target_transitions);
            return json_reply(200, render_target(*snap, *target, history));
        }
        if (seg.size() == 3 && seg[2] == "events") {
            auto q = parse_events_query(url);
            if (!q)
                return error_reply(400, q.error().message);
            if (!q->target.empty()) {
                auto const* target = find_target(*snap, q->target);
                if (target == nullptr)
                    return error_reply(404, "no such target");
                q->key = history_key(*target);
            }
            if (!history_)
                return json_reply(200, render_events(*snap, {}));
            auto page = read_events(*history_, *q);
            if (!page)
                return error_reply(503, "history unavailable: " + page.error().message);
            return json_reply(200, render_events_page(*snap, *q, *page));
        }
        return error_reply(404, "no such endpoint");
    }

    if (seg.size() >= 3 && seg[0] == "badge") {
        auto const* target = find_target(*snap, seg[1]);
        if (seg.size() == 3 && seg[2] == "status.svg") {
            if (target == nullptr)
                return error_reply(404, "no such target");
            return svg_reply(status_badge(*target));
        }
        if (seg.size() == 4 && seg[2] == "uptime" && seg[3].ends_with(".svg")) {
            auto const* window = find_uptime_window(seg[3].substr(0, seg[3].size() - 4));
            if (window == nullptr)
                return error_reply(404, "uptime window must be 1h, 24h, 7d or 30d");
            if (target == nullptr)
                return error_reply(404, "no such target");
            std::optional<double> uptime;
            if (history_) {
                auto const t = now();
                if (auto r = history_->uptime(history_key(*target), t - window->length, t))
                    uptime = *r;
            }
            return svg_reply(uptime_badge(window->name, uptime));
        }
    }
    return error_reply(404, "not found");
}

Reply Handler::metrics(Request const& req, http::SnapshotPtr const& snap) {
    auto const format = negotiate_metrics_format(req.accept);
    auto const i = format == MetricsFormat::openmetrics ? 1 : 0;
    auto& cache = metrics_cache_[i];
    // One render per snapshot and format: scrapes between two snapshots cost a write only.
    if (cache.snapshot != snap) {
        cache.body.reset();
        cache.body = text(render_metrics(*snap, format,
                                         {.per_target_histograms = options_.per_target_histograms,
                                          .process = read_process_stats()}));
        cache.snapshot = snap;
    }
    Reply reply{.content_type = metrics_content_type(format),
                .body = cache.body,
                .headers = {{"Vary", "Accept, Accept-Encoding"}}};
    if (accepts_gzip(req.accept_encoding)) {
        auto& zipped = metrics_gzip_cache_[i];
        if (zipped.snapshot != snap || zipped.body == nullptr) {
            zipped.body = text(gzip(*cache.body));
            zipped.snapshot = snap;
        }
        reply.body = zipped.body;
        reply.headers.emplace_back("Content-Encoding", "gzip");
    }
    return reply;
}

Reply Handler::status_data(http::SnapshotPtr const& snap, Url const& url, bool page) {
    auto q = parse_status_query(url, options_.status_page_targets);
    if (!q)
        return error_reply(400, q.error().message);
    // History comes from the worker's latest summary, never from a read on this thread.
    auto summary = history_worker_ ? history_worker_->latest(snap) : nullptr;
    // One render per snapshot, query and summary: a page left open costs a write per refresh.
    if (status_cache_.snapshot != snap || !(status_cache_.query == *q) ||
        status_cache_.history != summary) {
        auto const selection = select_status_targets(*snap, *q);
        std::vector<StatusHistory> histories;
        histories.reserve(selection.items.size());
        for (std::size_t i = 0; i < selection.items.size(); ++i) {
            if (!summary || !selection.with_history(i)) {
                histories.emplace_back();
                continue;
            }
            auto const it = summary->status.find(history_key(*selection.items[i]));
            histories.push_back(it != summary->status.end() ? it->second : StatusHistory{});
        }
        status_cache_.body = text(render_status_data(*snap, selection, histories));
        status_cache_.snapshot = snap;
        status_cache_.query = *q;
        status_cache_.history = std::move(summary);
    }
    if (!page)
        return Reply{.content_type = json_type, .body = status_cache_.body};
    return Reply{.content_type = "text/html; charset=utf-8",
                 .body = text(render_status_page(options_.title, *status_cache_.body)),
                 .headers = {{"Content-Security-Policy", status_page_csp}}};
}

}  // namespace portwatch::http
