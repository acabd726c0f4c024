// URLs of the http kind: the configured one and the Location of a redirect.
#include "probe/http_options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/asio/ip/address_v6.hpp>

namespace portwatch::probe {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// A space or a control character would end or split the request line.
bool has_space_or_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        auto const u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

// Path and query of a reference, without its fragment; "/" when empty.
std::string target_of(std::string_view rest) {
    rest = rest.substr(0, rest.find('#'));
    if (rest.empty()) {
        return "/";
    }
    if (rest.front() == '?') {
        return "/" + std::string(rest);
    }
    return std::string(rest);
}

std::string_view trim(std::string_view s) {
    auto const first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::string HttpUrl::authority() const {
    auto const h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port == (https ? 443 : 80)) {
        return h;
    }
    return h + ":" + std::to_string(port);
}

std::string HttpUrl::text() const {
    return (https ? "https://" : "http://") + authority() + target;
}

std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& why) {
    HttpUrl url;
    auto const sep = text.find("://");
    if (sep == std::string_view::npos) {
        why = "expected an absolute http:// or https:// URL";
        return std::nullopt;
    }
    auto const scheme = text.substr(0, sep);
    if (iequals(scheme, "https")) {
        url.https = true;
    } else if (!iequals(scheme, "http")) {
        why = "the scheme must be http or https, not '" + std::string(scheme) + "'";
        return std::nullopt;
    }
    if (has_space_or_control(text)) {
        why = "a URL may not hold spaces or control characters (percent-encode them)";
        return std::nullopt;
    }
    auto rest = text.substr(sep + 3);
    auto const end = std::min(rest.find_first_of("/?#"), rest.size());
    auto authority = rest.substr(0, end);
    rest = rest.substr(end);
    if (authority.find('@') != std::string_view::npos) {
        why = "credentials in the URL are not supported (set an Authorization header)";
        return std::nullopt;
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto const close = authority.find(']');
        if (close == std::string_view::npos) {
            why = "unclosed '[' in the host";
            return std::nullopt;
        }
        url.host = std::string(authority.substr(1, close - 1));
        boost::system::error_code ec;
        boost::asio::ip::make_address_v6(url.host, ec);
        if (ec) {
            why = "'" + url.host + "' is not an IPv6 address";
            return std::nullopt;
        }
        auto const after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            why = "unexpected text after ']'";
            return std::nullopt;
        }
        port_text = after.empty() ? after : after.substr(1);
    } else {
        auto const colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
        }
    }
    if (url.host.empty()) {
        why = "the URL has no host";
        return std::nullopt;
    }
    url.port = url.https ? 443 : 80;
    if (!port_text.empty()) {
        unsigned port = 0;
        auto const [ptr, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
            port > 65535) {
            why = "bad port '" + std::string(port_text) + "'";
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(port);
    }
    url.target = target_of(rest);
    return url;
}

std::optional<HttpUrl> resolve_location(HttpUrl const& base, std::string_view location,
                                        std::string& why) {
    location = trim(location);
    if (location.empty()) {
        why = "empty Location";
        return std::nullopt;
    }
    if (has_space_or_control(location)) {
        why = "Location holds spaces or control characters";
        return std::nullopt;
    }
    auto const scheme_end = location.find("://");
    if (scheme_end != std::string_view::npos &&
        scheme_end < std::min(location.find_first_of("/?#"), location.size())) {
        return parse_http_url(location, why);
    }
    if (location.rfind("//", 0) == 0) {
        return parse_http_url(std::string(base.https ? "https:" : "http:") + std::string(location),
                              why);
    }
    HttpUrl url = base;
    if (location.front() == '/') {
        url.target = target_of(location);
    } else if (location.front() == '?' || location.front() == '#') {
        auto const path = base.target.substr(0, base.target.find('?'));
        url.target = location.front() == '#' ? base.target : path + target_of(location).substr(1);
    } else {
        auto const path = base.target.substr(0, base.target.find('?'));
        url.target = path.substr(0, path.rfind('/') + 1) + target_of(location);
    }
    return url;
}

}  // namespace portwatch::probe
