#pragma once

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/options.hpp"
#include "probe/probe.hpp"
#include "probe/tls_client.hpp"

namespace portwatch::probe {

/// An absolute http:// or https:// URL, split for a request.
struct HttpUrl {
    bool https = false;
    /// A name or an IP literal, without brackets.
    std::string host;
    std::uint16_t port = 0;
    /// Path and query ("/" at least), the request-target; the fragment is dropped.
    std::string target = "/";

    /// The Host header: the host (bracketed when IPv6) and the port unless the default.
    std::string authority() const;
    /// "http://authority/target", for details.
    std::string text() const;
    bool same_origin(HttpUrl const& other) const {
        return https == other.https && host == other.host && port == other.port;
    }
    bool operator==(HttpUrl const&) const = default;
};

/// Parses an absolute http(s) URL; on failure, nullopt and `why`.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& why);

/// Resolves a Location header against the URL that answered it (absolute, scheme-relative,
/// absolute-path or relative references); on failure, nullopt and `why`.
std::optional<HttpUrl> resolve_location(HttpUrl const& base, std::string_view location,
                                        std::string& why);

/// The parsed options of an http target.
struct HttpOptions final : KindOptions, HasTls {
    HttpUrl url;
    std::string method = "GET";
    /// Accepted status ranges (inclusive); empty: 200-299.
    std::vector<std::pair<int, int>> status;
    /// The body regex as written; empty: no body check.
    std::string body_pattern;
    std::optional<std::regex> body;
    /// Extra request headers, in order (they replace the defaults of the same name).
    std::vector<std::pair<std::string, std::string>> headers;
    std::string request_body;
    /// How many redirects to follow (0: the redirect is the answer).
    int follow_redirects = 0;
    /// `tls:` (its defaults when not given): for https, and a redirect to https.
    std::optional<TlsOptions> tls_options;

    bool status_ok(int code) const;
    TlsOptions const* tls() const override { return tls_options ? &*tls_options : nullptr; }
};

/// Validates the options of an http target (`url`, `http: {...}`, `tls: {...}`); null when an
/// error was added to `out`.
std::shared_ptr<HttpOptions const> parse_http_options(config::OptionBag const& bag,
                                                      config::Diagnostics& out);

}  // namespace portwatch::probe
