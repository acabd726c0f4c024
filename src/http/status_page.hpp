#pragma once

#include <string>
#include <string_view>

namespace portwatch::http {

/// The status page: one HTML document with the first data (render_status_data) embedded,
/// styles and script served from /assets/ (built in; the page fetches nothing from outside).
std::string render_status_page(std::string_view title, std::string_view data_json);

/// A built-in file served under /assets/.
struct Asset {
    std::string_view content_type;
    std::string_view body;
};

/// "status.css", "status.js"; nullptr for any other name.
Asset const* find_asset(std::string_view name);

/// Content-Security-Policy of the page: nothing but this origin.
inline constexpr char const* status_page_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

}  // namespace portwatch::http
