#include "config/lst.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include <fmt/format.h>

#include "util/atomic_file.hpp"
#include "util/utf8.hpp"

namespace portwatch::config {

namespace {

/// Lines as Python's text mode yields them: split on \n, \r\n and a lone \r.
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' || text[i] == '\r') {
            lines.push_back(text.substr(start, i - start));
            if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
            start = i + 1;
        }
    }
    if (start < text.size()) {
        lines.push_back(text.substr(start));
    }
    return lines;
}

/// A port is 1..65535 written in decimal digits (leading zeros allowed, as int() does).
bool parse_port(std::string_view s, std::uint16_t& port) {
    if (s.empty() || s.size() > 10) {
        return false;
    }
    unsigned value = 0;
    auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || ptr != s.data() + s.size() || value < 1 || value > 65535) {
        return false;
    }
    port = static_cast<std::uint16_t>(value);
    return true;
}

std::string printable(std::string_view s, std::size_t max = 60) {
    std::string out;
    for (char const c : s.substr(0, max)) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            out += fmt::format("\\x{:02x}", u);
        } else {
            out.push_back(c);
        }
    }
    if (s.size() > max) {
        out += "...";
    }
    return out;
}

}  // namespace

std::string check_host(std::string_view host) {
    if (!util::is_valid_utf8(host)) {
        return "host is not valid UTF-8";
    }
    if (host.size() > 255 + 2) {
        return "host name is longer than 255 characters";
    }
    if (host.front() == '[' || host.back() == ']') {
        if (host.size() < 3 || host.front() != '[' || host.back() != ']' ||
            host.substr(1, host.size() - 2).find(':') == std::string_view::npos) {
            return fmt::format("bad bracketed IPv6 address '{}'", host);
        }
        return {};
    }
    for (char const c : host) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '/' || c == '\\' || c == '"' || c == '\'') {
            return fmt::format("bad character in host '{}'", host);
        }
    }
    return {};
}

bool ListFile::has_errors() const {
    for (auto const& d : diagnostics) {
        if (d.severity == Diagnostic::Severity::error) {
            return true;
        }
    }
    return false;
}

ListFile parse_list(std::string_view text, std::string const& file) {
    ListFile out;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
    }
    auto const error = [&](int line, std::string message) {
        out.diagnostics.push_back({Diagnostic::Severity::error, file, line, std::move(message)});
    };
    std::unordered_map<std::string, int> seen;  // key -> first line
    // One target per line at most: a vector grown by doubling kept up to twice the list.
    out.targets.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    int line_no = 0;
    for (std::string_view const raw : split_lines(text)) {
        ++line_no;
        std::string_view const line = util::strip_python_whitespace(raw);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.find('\0') != std::string_view::npos) {
            error(line_no, "line contains a NUL byte");
            continue;
        }
        auto const fields = util::split_python_whitespace(line);
        if (fields.size() < 2) {
            error(line_no,
                  fmt::format("expected 'HOST PORT [DESCRIPTION]', got '{}'", printable(line)));
            continue;
        }
        std::uint16_t port = 0;
        if (!parse_port(fields[1], port)) {
            error(line_no, fmt::format("bad port '{}': expected a number from 1 to 65535",
                                       printable(fields[1])));
            continue;
        }
        if (auto const why = check_host(fields[0]); !why.empty()) {
            error(line_no, why);
            continue;
        }
        Target t{.host = std::string(fields[0]), .port = port, .file = file, .line = line_no};
        for (std::size_t i = 2; i < fields.size(); ++i) {
            if (i > 2) {
                t.description.push_back(' ');
            }
            t.description.append(fields[i]);
        }
        auto const [it, inserted] = seen.emplace(t.key(), line_no);
        if (!inserted) {
            out.diagnostics.push_back(
                {Diagnostic::Severity::warning, file, line_no,
                 fmt::format(
                     "duplicate target {} (first at line {}); checked once, as line {} says",
                     printable(t.key()), it->second, it->second)});
            continue;
        }
        out.targets.push_back(std::move(t));
    }
    return out;
}

util::Result<ListFile> load_list(std::filesystem::path const& path) {
    auto text = util::read_file(path);
    if (!text) {
        return text.error();
    }
    return parse_list(*text, path.string());
}

}  // namespace portwatch::config
