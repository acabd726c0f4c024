#include "http/url.hpp"

#include "util/utf8.hpp"

namespace portwatch::http {
std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        std::string byte;
        if (s[i] == '%' && i + 2 < s.size() && util::from_hex(s.substr(i + 1, 2), byte)) {
            out += byte;
            i += 2;
            continue;
        }
        out += (plus_is_space && s[i] == '+') ? ' ' : s[i];
    }
    return out;
}

std::string percent_encode(std::string_view s) {
    static char const digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        bool const unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out += c;
        } else {
            auto const b = static_cast<unsigned char>(c);
            out += '%';
            out += digits[b >> 4];
            out += digits[b & 15];
        }
    }
    return out;
}

Url parse_url(std::string_view target) {
    Url url;
    auto const q = target.find('?');
    std::string_view const path = target.substr(0, q);
    url.path = std::string(path);
    for (std::size_t start = 0; start <= path.size();) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos)
            end = path.size();
        if (end > start)
            url.segments.push_back(percent_decode(path.substr(start, end - start)));
        start = end + 1;
    }
    if (q == std::string_view::npos)
        return url;
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        auto const amp = query.find('&');
        auto const pair = query.substr(0, amp);
        auto const eq = pair.find('=');
        if (!pair.empty()) {
            auto const key = percent_decode(pair.substr(0, eq), true);
            auto const value = eq == std::string_view::npos
                                   ? std::string()
                                   : percent_decode(pair.substr(eq + 1), true);
            url.query[key] = value;
        }
        if (amp == std::string_view::npos)
            break;
        query.remove_prefix(amp + 1);
    }
    return url;
}

}  // namespace portwatch::http
