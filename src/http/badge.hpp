#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/snapshot.hpp"

namespace portwatch::http {

/// A flat two-part SVG badge ("label | message"), text escaped for XML.
std::string render_badge(std::string_view label, std::string_view message, std::string_view color);

/// "NAME | up" in green, "down" in red, "unknown" in grey.
std::string status_badge(http::TargetView const& target);

/// "uptime WINDOW | 99.95%", coloured by the figure; "no data" in grey when empty.
std::string uptime_badge(std::string_view window, std::optional<double> uptime_fraction);

}  // namespace portwatch::http
