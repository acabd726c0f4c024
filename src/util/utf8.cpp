#include "util/utf8.hpp"

#include <cstdint>

namespace portwatch::util {

namespace {

/// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is not one.
std::size_t sequence_length(std::string_view s, std::size_t i) {
    auto const b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char const c = b(i);
    if (c < 0x80) {
        return 1;
    }
    std::size_t n = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > s.size()) {
        return 0;
    }
    std::uint32_t cp = c & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

std::uint32_t decode(std::string_view s, std::size_t i, std::size_t n) {
    auto const c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = n == 1 ? c : (c & (0x7F >> n));
    for (std::size_t k = 1; k < n; ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    return cp;
}

/// Python's str.isspace() set.
bool is_python_space(std::uint32_t cp) {
    switch (cp) {
        case 0x09:
        case 0x0A:
        case 0x0B:
        case 0x0C:
        case 0x0D:
        case 0x1C:
        case 0x1D:
        case 0x1E:
        case 0x1F:
        case 0x20:
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200A;
    }
}

/// Width of the whitespace character at s[i], or 0.
std::size_t space_at(std::string_view s, std::size_t i) {
    if (auto const c = static_cast<unsigned char>(s[i]); c < 0x80) {  // lists are mostly ASCII
        return is_python_space(c) ? 1 : 0;
    }
    std::size_t const n = sequence_length(s, i);
    if (n == 0) {
        return 0;
    }
    return is_python_space(decode(s, i, n)) ? n : 0;
}

std::size_t step(std::string_view s, std::size_t i) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
        return 1;
    }
    std::size_t const n = sequence_length(s, i);
    return n == 0 ? 1 : n;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t const n = sequence_length(s, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::vector<std::string_view> split_python_whitespace(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size()) {
            std::size_t const w = space_at(s, i);
            if (w == 0) {
                break;
            }
            i += w;
        }
        if (i >= s.size()) {
            break;
        }
        std::size_t const start = i;
        while (i < s.size() && space_at(s, i) == 0) {
            i += step(s, i);
        }
        out.push_back(s.substr(start, i - start));
    }
    return out;
}

std::string_view strip_python_whitespace(std::string_view s) {
    // One pass forward (UTF-8 cannot be walked backwards safely when it may be malformed):
    // the start of the first non-space character and the end of the last one.
    std::size_t begin = s.size();
    std::size_t end = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (std::size_t const w = space_at(s, i); w != 0) {
            i += w;
            continue;
        }
        begin = begin < i ? begin : i;
        i += step(s, i);
        end = i;
    }
    return begin < end ? s.substr(begin, end - begin) : std::string_view();
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char const c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0xF]);
    }
    return out;
}

bool from_hex(std::string_view hex, std::string& out) {
    auto const val = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    if (hex.size() % 2 != 0) {
        return false;
    }
    out.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int const hi = val(hex[i]);
        int const lo = val(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return true;
}

}  // namespace portwatch::util
