#include "http/handler.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>

#include <fmt/format.h>

#include "http/api.hpp"
#include "http/badge.hpp"
#include "http/history.hpp"
#include "http/status_page.hpp"
#include "http/url.hpp"

namespace portwatch::http {
namespace {

constexpr char const* json_type = "application/json; charset=utf-8";
constexpr std::size_t verified_cache_size = 64;
constexpr std::size_t target_transitions = 20;

std::shared_ptr<std::string const> text(std::string s) {
    return std::make_shared<std::string const>(std::move(s));
}

Reply json_reply(int status, std::string body) {
    return Reply{.status = status, .content_type = json_type, .body = text(std::move(body))};
}

Reply error_reply(int status, std::string_view message) {
    return json_reply(status, render_error(message));
}

Reply svg_reply(std::string body) {
    return Reply{.status = 200,
                 .content_type = "image/svg+xml; charset=utf-8",
                 .body = text(std::move(body)),
                 .headers = {{"Cache-Control", "no-cache, max-age=0"}}};
}

bool equal_constant_time(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256(std::string_view s) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<unsigned char const*>(s.data()), s.size(), digest);
    return std::string(reinterpret_cast<char const*>(digest), sizeof digest);
}

std::optional<std::string> base64_decode(std::string_view s) {
    if (s.empty() || s.size() % 4 != 0)
        return std::nullopt;
    std::string out(s.size() / 4 * 3, '\0');
    int const n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(s.data()),
                                  static_cast<int>(s.size()));
    if (n < 0)
        return std::nullopt;
    // EVP_DecodeBlock counts padding as zero bytes.
    std::size_t pad = 0;
    for (auto it = s.rbegin(); it != s.rend() && *it == '='; ++it)
        ++pad;
    out.resize(static_cast<std::size_t>(n) - std::min<std::size_t>(pad, 2));
    return out;
}

/// True when `password` hashes to `hash`: "sha256:HEX", or crypt(3), whose hash names its
/// method (yescrypt, bcrypt, sha512crypt).
bool check_password(std::string const& password, std::string const& hash) {
    if (hash.starts_with("sha256:")) {
        std::string hex;
        for (unsigned char c : sha256(password))
            hex += fmt::format("{:02x}", c);
        std::string expected = hash.substr(7);
        for (auto& c : expected)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return equal_constant_time(hex, expected);
    }
    crypt_data data{};
    char const* out = ::crypt_rn(password.c_str(), hash.c_str(), &data, sizeof data);
    return out != nullptr && out[0] != '*' && equal_constant_time(out, hash);
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

/// The challenges of a 401: one per configured scheme.
std::string challenges(HttpOptions const& o) {
    std::string out;
    if (!o.basic_auth_user.empty())
        out = R"(Basic realm="portwatch", charset="UTF-8")";
    if (!o.bearer_token.empty())
        out += std::string(out.empty() ? "" : ", ") + R"(Bearer realm="portwatch")";
    return out;
}

bool is_get(Request const& r) {
    return r.method == "GET" || r.method == "HEAD";
}

}  // namespace

Handler::Handler(HttpOptions const& options, ServerSources sources)
    : options_(options), sources_(std::move(sources)) {
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

bool Handler::authorized(std::string const& header) {
    if (!options_.auth_enabled())
        return true;
    std::string_view h = header;
    auto const digest = sha256(h);
    if (std::find(verified_.begin(), verified_.end(), digest) != verified_.end())
        return true;
    // "SCHEME credentials"; the scheme is case-insensitive (RFC 7235), spaces may repeat.
    auto const space = h.find(' ');
    auto const scheme = h.substr(0, space);
    auto credentials = space == std::string_view::npos ? std::string_view() : h.substr(space);
    while (credentials.starts_with(' '))
        credentials.remove_prefix(1);
    bool ok = false;
    if (!options_.bearer_token.empty() && iequals(scheme, "Bearer")) {
        ok = equal_constant_time(credentials, options_.bearer_token);
    } else if (!options_.basic_auth_user.empty() && iequals(scheme, "Basic")) {
        auto const decoded = base64_decode(credentials);
        auto const colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon != std::string::npos) {
            ok = equal_constant_time(std::string_view(*decoded).substr(0, colon),
                                     options_.basic_auth_user) &&
                 check_password(decoded->substr(colon + 1), options_.basic_auth_hash);
        }
    }
    if (ok) {
        if (verified_.size() >= verified_cache_size)
            verified_.erase(verified_.begin());
        verified_.push_back(digest);
    }
    return ok;
}

Reply Handler::handle(Request const& req) {
    Url const url = parse_url(req.target);
    auto const& seg = url.segments;
    bool const health = seg.size() == 1 && (seg[0] == "healthz" || seg[0] == "readyz");

    if (!health && !authorized(req.authorization)) {
        auto reply = error_reply(401, "authentication required");
        reply.headers.emplace_back("WWW-Authenticate", challenges(options_));
        return reply;
    }
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
            auto limit = parse_limit(url, 100);
            if (!limit)
                return error_reply(400, limit.error().message);
            std::string key;
            if (auto it = url.query.find("target"); it != url.query.end() && !it->second.empty()) {
                auto const* target = find_target(*snap, it->second);
                if (target == nullptr)
                    return error_reply(404, "no such target");
                key = history_key(*target);
            }
            if (!history_)
                return json_reply(200, render_events(*snap, {}));
            auto trs = history_->transitions(key, *limit);
            if (!trs)
                return error_reply(503, "history unavailable: " + trs.error().message);
            return json_reply(200, render_events(*snap, *trs));
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
