#include "http/status_page.hpp"

#include <array>

#include "http/escape.hpp"

namespace portwatch::http {
namespace assets {
// Generated at build time from src/http/assets/ by embed.cmake.
extern std::string_view const asset_status_html;
extern std::string_view const asset_status_css;
extern std::string_view const asset_status_js;
}  // namespace assets

namespace {

/// JSON inside <script>: "<" only occurs in strings there, where \u003c means the same, so
/// no "</script>" or "<!--" in the data can end the element.
void append_script_json(std::string& out, std::string_view json) {
    for (char c : json) {
        if (c == '<')
            out += "\\u003c";
        else
            out += c;
    }
}

}  // namespace

std::string render_status_page(std::string_view title, std::string_view data_json) {
    std::string_view const page = assets::asset_status_html;
    std::string out;
    out.reserve(page.size() + data_json.size() + 2 * title.size());
    std::size_t pos = 0;
    while (pos < page.size()) {
        auto const open = page.find("{{", pos);
        if (open == std::string_view::npos) {
            out += page.substr(pos);
            break;
        }
        out += page.substr(pos, open - pos);
        auto const close = page.find("}}", open);
        auto const name = page.substr(open + 2, close - open - 2);
        if (name == "TITLE")
            append_xml_escaped(out, title);
        else if (name == "DATA")
            append_script_json(out, data_json);
        pos = close + 2;
    }
    return out;
}

Asset const* find_asset(std::string_view name) {
    static std::array<std::pair<std::string_view, Asset>, 2> const table = {{
        {"status.css", {"text/css; charset=utf-8", assets::asset_status_css}},
        {"status.js", {"text/javascript; charset=utf-8", assets::asset_status_js}},
    }};
    for (auto const& [n, asset] : table) {
        if (n == name)
            return &asset;
    }
    return nullptr;
}

}  // namespace portwatch::http
