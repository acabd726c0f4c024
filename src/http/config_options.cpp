#include "config/config.hpp"
#include "http/server.hpp"

namespace portwatch::http {

HttpOptions options_from_config(config::HttpConfig const& c) {
    HttpOptions o;
    o.listen = c.listen;
    if (!c.tls_cert.empty() || !c.tls_key.empty())
        o.tls = TlsOptions{.cert_file = c.tls_cert, .key_file = c.tls_key};
    o.basic_auth_user = c.basic_user;
    o.basic_auth_hash = c.basic_hash;
    o.bearer_token = c.bearer_token;
    o.title = c.title;
    o.max_connections = c.max_connections;
    // One bound for the head and for a body: no endpoint takes a body.
    o.max_header_bytes = c.max_request_bytes;
    o.max_body_bytes = c.max_request_bytes;
    o.idle_timeout = c.request_timeout;
    o.per_target_histograms = c.per_target_histograms;
    // A request's head must come well within the idle time (slow-header clients).
    o.header_timeout =
        std::min<std::chrono::milliseconds>(o.idle_timeout, std::chrono::seconds(10));
    return o;
}

}  // namespace portwatch::http
