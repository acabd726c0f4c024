// Label names and values of the metrics text formats.
#include "http/metrics.hpp"

#include "util/utf8.hpp"

namespace portwatch::http {

std::string sanitize_label_name(std::string_view name) {
    std::string out;
    out.reserve(name.size() + 1);
    for (char c : name) {
        bool const ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        out += ok ? c : '_';
    }
    if (out.empty() || (out[0] >= '0' && out[0] <= '9'))
        out.insert(out.begin(), '_');
    return out;
}

void append_escaped_label_value(std::string& out, std::string_view value) {
    bool const valid = util::is_valid_utf8(value);
    for (std::size_t i = 0; i < value.size();) {
        char const c = value[i];
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else if (valid || static_cast<unsigned char>(c) < 0x80) {
            out += c;
        } else {
            // Invalid UTF-8 somewhere: copy whole valid sequences, replace each bad byte.
            auto const lead = static_cast<unsigned char>(c);
            std::size_t const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
            auto const seq = value.substr(i, len);
            if (len > 1 && seq.size() == len && util::is_valid_utf8(seq)) {
                out += seq;
                i += len;
                continue;
            }
            out += "\xef\xbf\xbd";
        }
        ++i;
    }
}

}  // namespace portwatch::http
