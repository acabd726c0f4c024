#include <sys/stat.h>

#include <fmt/format.h>

#include "driver/daemon_impl.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace log = util::log;

namespace {

/// Size and modification time of the TLS files: a rotated certificate changes them.
std::string tls_stamp(config::HttpConfig const& http) {
    std::string out;
    for (auto const* file : {&http.tls_cert, &http.tls_key}) {
        struct stat st {};
        if (!file->empty() && ::stat(file->c_str(), &st) == 0) {
            out += fmt::format("{}:{}.{}:{};", st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                               st.st_ino);
        }
    }
    return out;
}

}  // namespace

util::Result<void> Daemon::Impl::start_http(config::HttpConfig const& http) {
    auto server = std::make_unique<http::Server>(
        http::options_from_config(http),
        http::ServerSources{.snapshot = [this] { return publisher.fresh(); },
                            .history = db->history(),
                            .now = parts.clock});
    auto const stamp = tls_stamp(http);
    if (auto r = server->start(); !r) {
        return r;
    }
    if (http_server) {
        http_server->stop();
    }
    http_server = std::move(server);
    http_tls_stamp = stamp;
    log::info("http: serving on {}", http_server->url());
    return {};
}

void Daemon::Impl::reload_http(std::optional<config::HttpConfig> const& before) {
    bool const tls_rotated =
        config.http && !config.http->tls_cert.empty() && tls_stamp(*config.http) != http_tls_stamp;
    if (config.http == before && !tls_rotated) {
        return;
    }
    if (!config.http) {
        if (http_server) {
            http_server->stop();
            http_server.reset();
        }
        log::warn("http: the http: section was removed; the HTTP server is stopped");
        return;
    }
    // The same address: the old server must let go of the port first.
    bool const same_listen = before && before->listen == config.http->listen;
    if (same_listen && http_server) {
        http_server->stop();
        http_server.reset();
    }
    auto const r = start_http(*config.http);
    if (r) {
        log::info("http: reloaded ({})", tls_rotated && config.http == before
                                             ? "TLS certificate and key re-read"
                                             : "http: section changed");
        return;
    }
    // Keep serving as before, and keep that config, so that the next reload tries again.
    log::error("http: the reloaded http: section cannot be applied: {}; {}", r.error().message,
               http_server || !before ? "the previous HTTP settings stay in effect"
                                      : "serving again with the previous HTTP settings");
    config.http = before;
    if (!http_server && before) {
        if (auto again = start_http(*before); !again) {
            log::error("http: NOT SERVING: the previous http: section fails too: {}",
                       again.error().message);
        }
    }
}

}  // namespace portwatch::driver
