#include "probe/datagram_options.hpp"

#include <charconv>

#include <fmt/format.h>

namespace portwatch::probe::options {

std::optional<std::string> text(config::OptionBag const& bag, config::OptionNode const& v,
                                std::string_view key, config::Diagnostics& out) {
    if (v.type != config::OptionNode::Type::scalar) {
        bag.error(out, v, key, "expected a string");
        return std::nullopt;
    }
    return v.scalar;
}

std::optional<long> integer(config::OptionBag const& bag, config::OptionNode const& v,
                            std::string_view key, long lo, long hi, config::Diagnostics& out) {
    auto const s = text(bag, v, key, out);
    if (!s) {
        return std::nullopt;
    }
    long n = 0;
    auto const [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
    if (ec != std::errc() || ptr != s->data() + s->size() || n < lo || n > hi) {
        bag.error(out, v, key, fmt::format("expected an integer from {} to {}", lo, hi));
        return std::nullopt;
    }
    return n;
}

std::optional<bool> boolean(config::OptionBag const& bag, config::OptionNode const& v,
                            std::string_view key, config::Diagnostics& out) {
    auto const s = text(bag, v, key, out);
    if (!s) {
        return std::nullopt;
    }
    if (*s == "true" || *s == "yes" || *s == "on") {
        return true;
    }
    if (*s == "false" || *s == "no" || *s == "off") {
        return false;
    }
    bag.error(out, v, key, "expected true or false");
    return std::nullopt;
}

std::optional<std::regex> regex(config::OptionBag const& bag, config::OptionNode const& v,
                                std::string_view key, config::Diagnostics& out) {
    auto const s = text(bag, v, key, out);
    if (!s) {
        return std::nullopt;
    }
    try {
        return std::regex(*s, std::regex::ECMAScript);
    } catch (std::regex_error const& e) {
        bag.error(out, v, key, fmt::format("bad regular expression: {}", e.what()));
        return std::nullopt;
    }
}

std::string escape_bytes(std::string_view bytes, std::size_t limit) {
    std::string out;
    auto const n = std::min(bytes.size(), limit);
    for (std::size_t i = 0; i < n; ++i) {
        auto const c = static_cast<unsigned char>(bytes[i]);
        switch (c) {
            case '\r':
                out += "\\r";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            default:
                if (c >= 0x20 && c < 0x7f) {
                    out += static_cast<char>(c);
                } else {
                    out += fmt::format("\\x{:02x}", c);
                }
        }
    }
    if (bytes.size() > limit) {
        out += "...";
    }
    return out;
}

}  // namespace portwatch::probe::options
