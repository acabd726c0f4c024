#pragma once

#include <string>
#include <string_view>

namespace portwatch::http {

/// Appends text escaped for XML and HTML content or attributes (& < > " '); control
/// characters, which XML 1.0 forbids, become spaces.
inline void append_xml_escaped(std::string& out, std::string_view s) {
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
        }
    }
}

}  // namespace portwatch::http
