#include "notify/output_summary.hpp"

#include <algorithm>

namespace portwatch::notify::detail {

/// Length of the well-formed UTF-8 sequence at s[0], 0 when it is not one.
namespace {

std::size_t utf8_sequence(std::string_view s) {
    auto const b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char const c = b(0);
    std::size_t len;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (s.size() < len || b(1) < lo || b(1) > hi) {
        return 0;
    }
    for (std::size_t i = 2; i < len; ++i) {
        if (b(i) < 0x80 || b(i) > 0xbf) {
            return 0;
        }
    }
    return len;
}

}  // namespace

/// The last non-blank line of the output, as one line of valid UTF-8 (control characters
/// become spaces, invalid bytes '?') of at most `limit` bytes.
std::string output_summary(std::string_view out, std::size_t limit) {
    auto const is_blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!out.empty() && is_blank(out.back())) {
        out.remove_suffix(1);
    }
    auto const nl = out.rfind('\n');
    if (nl != std::string_view::npos) {
        out.remove_prefix(nl + 1);
    }
    while (!out.empty() && is_blank(out.front())) {
        out.remove_prefix(1);
    }
    std::string line;
    while (!out.empty()) {
        std::size_t const n = utf8_sequence(out);
        if (line.size() + std::max<std::size_t>(n, 1) > limit) {
            break;
        }
        if (n == 0) {
            line += '?';
            out.remove_prefix(1);
            continue;
        }
        unsigned char const c = static_cast<unsigned char>(out[0]);
        line += (n == 1 && (c < 0x20 || c == 0x7f)) ? ' ' : out[0];
        line.append(out.substr(1, n - 1));
        out.remove_prefix(n);
    }
    return line;
}

}  // namespace portwatch::notify::detail
