#include "http/badge.hpp"

#include "http/escape.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace portwatch::http {
namespace {

/// Width of text in 11px Verdana, roughly: 7 px per character (UTF-8 lead bytes only).
int text_width(std::string_view s) {
    int chars = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xc0) != 0x80)
            ++chars;
    }
    return chars * 7;
}

}  // namespace

std::string render_badge(std::string_view label, std::string_view message, std::string_view color) {
    int const lw = text_width(label) + 10;
    int const mw = text_width(message) + 10;
    std::string l;
    append_xml_escaped(l, label);
    std::string m;
    append_xml_escaped(m, message);
    std::string c;
    append_xml_escaped(c, color);
    return fmt::format(
        R"svg(<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{l}: {m}">)svg"
        R"svg(<title>{l}: {m}</title>)svg"
        R"svg(<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>)svg"
        R"svg(<clipPath id="r"><rect width="{w}" height="20" rx="3" fill="#fff"/></clipPath>)svg"
        R"svg(<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{mw}" height="20" fill="{c}"/><rect width="{w}" height="20" fill="url(#s)"/></g>)svg"
        R"svg(<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">)svg"
        R"svg(<text x="{lx}" y="14">{l}</text><text x="{mx}" y="14">{m}</text></g></svg>)svg",
        fmt::arg("w", lw + mw), fmt::arg("lw", lw), fmt::arg("mw", mw), fmt::arg("l", l),
        fmt::arg("m", m), fmt::arg("c", c), fmt::arg("lx", lw / 2), fmt::arg("mx", lw + mw / 2));
}

std::string status_badge(http::TargetView const& t) {
    std::string_view const label = t.name.empty() ? std::string_view(t.id) : t.name;
    switch (t.status) {
        case eval::Status::up:
            return render_badge(label, "up", "#4c1");
        case eval::Status::down:
            return render_badge(label, "down", "#e05d44");
        case eval::Status::unknown:
            break;
    }
    return render_badge(label, "unknown", "#9f9f9f");
}

std::string uptime_badge(std::string_view window, std::optional<double> fraction) {
    std::string const label = fmt::format("uptime {}", window);
    if (!fraction)
        return render_badge(label, "no data", "#9f9f9f");
    double const pct = *fraction * 100;
    char const* color = pct >= 99.9 ? "#4c1"
                        : pct >= 99 ? "#97ca00"
                        : pct >= 95 ? "#dfb317"
                                    : "#e05d44";
    // Two decimals, never rounded up to 100% while something failed.
    double const shown = pct < 100 ? std::min(std::floor(pct * 100) / 100, 99.99) : 100.0;
    return render_badge(label, fmt::format("{:.2f}%", shown), color);
}

}  // namespace portwatch::http
