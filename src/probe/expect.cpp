// StreamError's names and the escapes of `send`, `expect` details.
#include "probe/expect.hpp"

#include <array>

#include "probe/named_category.hpp"

namespace portwatch::probe {

namespace {

NamedCategory<3> const category{
    "portwatch.probe.stream",
    {{
        {static_cast<int>(StreamError::expect_mismatch), "expect-mismatch",
         "the answer did not match", ProbeCondition::target_failed},
        {static_cast<int>(StreamError::expect_timeout), "expect-timeout",
         "no matching answer before the deadline", ProbeCondition::target_failed},
        {static_cast<int>(StreamError::starttls_failed), "starttls-failed", "STARTTLS refused",
         ProbeCondition::target_failed},
    }}};

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

ProbeCategory const& stream_category() {
    return category;
}

std::error_code make_error_code(StreamError e) {
    return {static_cast<int>(e), stream_category()};
}

std::optional<std::string> decode_escapes(std::string_view text, std::string& error) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (i + 1 == text.size()) {
            error = "a lone '\\' at the end (write \\\\ for a backslash)";
            return std::nullopt;
        }
        char const c = text[++i];
        switch (c) {
            case 'r':
                out += '\r';
                break;
            case 'n':
                out += '\n';
                break;
            case 't':
                out += '\t';
                break;
            case '0':
                out += '\0';
                break;
            case '\\':
                out += '\\';
                break;
            case 'x': {
                int const hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
                int const lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
                if (hi < 0 || lo < 0) {
                    error = "\\x takes two hex digits";
                    return std::nullopt;
                }
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                break;
            }
            default:
                error =
                    std::string("unknown escape '\\") + c + "' (known: \\r \\n \\t \\0 \\\\ \\xHH)";
                return std::nullopt;
        }
    }
    return out;
}

std::string escape_bytes(std::string_view bytes, std::size_t limit) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    auto const n = std::min(bytes.size(), limit);
    for (std::size_t i = 0; i < n; ++i) {
        auto const c = static_cast<unsigned char>(bytes[i]);
        if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    if (bytes.size() > limit) {
        out += "...";
    }
    return out;
}

}  // namespace portwatch::probe
