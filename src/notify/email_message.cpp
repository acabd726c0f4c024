#include "notify/email_message.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "notify/message.hpp"

namespace portwatch::notify {

namespace {

/// Longest header line we write with encoded words (RFC 2047 section 2).
constexpr std::size_t encoded_line_max = 76;
/// "=?UTF-8?B?" + "?=".
constexpr std::size_t encoded_word_overhead = 12;

bool is_ascii_printable(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string_view trim(std::string_view s) {
    auto const first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool valid_address(std::string_view a) {
    auto const at = a.find('@');
    if (at == 0 || at == std::string_view::npos || at + 1 == a.size() ||
        a.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    return std::all_of(a.begin(), a.end(), [](char c) {
        return c > 0x20 && c < 0x7f &&
               std::string_view("<>()[]\\,;:\"").find(c) == std::string_view::npos;
    });
}

/// A Message-ID's left part from arbitrary text: letters, digits and -_+=/ as they are,
/// dots where a dot-atom allows them, every other byte as %XX (so distinct ids stay
/// distinct).
std::string id_part(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto const c = static_cast<unsigned char>(text[i]);
        bool const plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') ||
                           std::string_view("-_+=/").find(c) != std::string_view::npos;
        bool const dot_ok = c == '.' && !out.empty() && out.back() != '.' && i + 1 < text.size();
        if (plain || dot_ok) {
            out.push_back(static_cast<char>(c));
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

bool is_cert(eval::Event const& e) {
    return e.kind == eval::EventKind::cert_expiring || e.kind == eval::EventKind::cert_renewed;
}

/// The incident's id, or nullopt when its start is unknown. A DOWN event that is not a
/// reminder starts its incident, so its own time stands in for a missing down_since.
std::optional<std::string> incident_of(eval::Event const& e) {
    if (is_cert(e)) {
        return e.cert_not_after != 0 ? std::optional(e.incident_id()) : std::nullopt;
    }
    if (e.down_since != util::TimePoint{}) {
        return e.incident_id();
    }
    if (e.kind == eval::EventKind::down && !e.reminder) {
        auto copy = e;
        copy.down_since = e.time;
        return copy.incident_id();
    }
    return std::nullopt;
}

bool opens_thread(eval::Event const& e) {
    return e.kind == eval::EventKind::down && !e.reminder;
}

std::string wrap_id(std::string_view part) {
    return fmt::format("<{}@portwatch>", part);
}

/// Up to `max` bytes of `s` from `pos`, not splitting a UTF-8 sequence (unless one alone
/// is longer than `max`, which only invalid input has).
std::size_t chunk_end(std::string_view s, std::size_t pos, std::size_t max) {
    auto end = std::min(s.size(), pos + max);
    if (end == s.size()) {
        return end;
    }
    auto cut = end;
    while (cut > pos && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return cut > pos ? cut : end;
}

/// A display name for From/To: a quoted string when ASCII, else encoded words.
std::string format_mailbox(Mailbox const& m, std::size_t used) {
    if (m.display.empty()) {
        return m.address;
    }
    std::string name;
    if (is_ascii_printable(m.display) && m.display.find("=?") == std::string::npos) {
        name.push_back('"');
        for (char c : m.display) {
            if (c == '"' || c == '\\') {
                name.push_back('\\');
            }
            name.push_back(c);
        }
        name.push_back('"');
    } else {
        name = encode_header_text(m.display, used);
    }
    return fmt::format("{} <{}>", name, m.address);
}

/// "To: a, b, ..." folded before an address that would pass 78 columns.
std::string address_list(std::string_view header, std::vector<Mailbox> const& boxes) {
    std::string out = fmt::format("{}: ", header);
    std::size_t column = out.size();
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        auto const item = format_mailbox(boxes[i], column) + (i + 1 < boxes.size() ? "," : "");
        if (i > 0) {
            if (column + 1 + item.size() > 78) {
                out += "\r\n";
                column = 0;
            }
            out += ' ';
            ++column;
        }
        out += item;
        auto const nl = item.rfind('\n');
        column = nl == std::string::npos ? column + item.size() : item.size() - nl - 1;
    }
    return out;
}

/// LF, CR and CRLF all become CRLF; the text ends with one.
std::string crlf_lines(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            if (i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
            out += "\r\n";
        } else if (text[i] == '\n') {
            out += "\r\n";
        } else {
            out.push_back(text[i]);
        }
    }
    if (!out.ends_with("\r\n")) {
        out += "\r\n";
    }
    return out;
}

/// Whether a CRLF text can go as 7bit: ASCII only, lines of at most 998 octets.
bool fits_7bit(std::string_view text) {
    std::size_t line = 0;
    for (char c : text) {
        if (static_cast<unsigned char>(c) >= 0x80 || c == '\0') {
            return false;
        }
        line = c == '\n' ? 0 : line + 1;
        if (line > 998) {
            return false;
        }
    }
    return true;
}

std::string base64_lines(std::string_view bytes) {
    auto const b64 = base64_encode(bytes);
    std::string out;
    for (std::size_t i = 0; i < b64.size(); i += 76) {
        out += b64.substr(i, 76);
        out += "\r\n";
    }
    return out;
}

std::string iso(util::TimePoint t) {
    return util::format_iso_local(t);
}

}  // namespace

std::optional<Mailbox> parse_mailbox(std::string_view text) {
    text = trim(text);
    Mailbox m;
    if (auto const lt = text.rfind('<'); lt != std::string_view::npos) {
        if (!text.ends_with('>')) {
            return std::nullopt;
        }
        auto display = trim(text.substr(0, lt));
        if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
            // A quoted string: \x stands for x.
            for (std::size_t i = 1; i + 1 < display.size(); ++i) {
                i += display[i] == '\\' && i + 2 < display.size() ? 1 : 0;
                m.display.push_back(display[i]);
            }
        } else {
            m.display = std::string(display);
        }
        if (std::any_of(m.display.begin(), m.display.end(),
                        [](char c) { return (c >= 0 && c < 0x20) || c == 0x7f; })) {
            return std::nullopt;
        }
        m.address = std::string(text.substr(lt + 1, text.size() - lt - 2));
    } else {
        m.address = std::string(text);
    }
    if (!valid_address(m.address)) {
        return std::nullopt;
    }
    return m;
}

std::string email_message_id(eval::Event const& event) {
    auto const incident = incident_of(event);
    if (incident && opens_thread(event)) {
        return wrap_id(id_part(*incident));
    }
    return wrap_id(id_part(event.id));
}

std::optional<std::string> email_thread_root(eval::Event const& event) {
    auto const incident = incident_of(event);
    if (!incident || opens_thread(event)) {
        return std::nullopt;
    }
    return wrap_id(id_part(*incident));
}

std::string default_email_body(eval::Event const& e, std::string const& message) {
    std::string out = message + "\n\n";
    auto const line = [&](std::string_view label, std::string const& value) {
        if (!value.empty()) {
            out += fmt::format("{:<15}{}\n", fmt::format("{}:", label), value);
        }
    };
    line("Target", e.name);
    line("Address", e.key);
    line("Description", e.description);
    line("Event", fmt::format("{}{}", eval::event_kind_name(e.kind),
                              e.reminder ? " (reminder: still down)" : ""));
    line("Group", e.group);
    std::vector<std::string> labels;
    for (auto const& [k, v] : e.labels) {
        labels.push_back(fmt::format("{}={}", k, v));
    }
    line("Labels", fmt::format("{}", fmt::join(labels, ", ")));
    line("Reason", e.reason);
    line("Detail", e.detail);
    line("Time", iso(e.time));
    if (!is_cert(e) && e.down_since != util::TimePoint{} && e.time > e.down_since) {
        line("Down since", fmt::format("{} ({})", iso(e.down_since),
                                       placeholder_value("duration", e).value_or("")));
    }
    if (is_cert(e) && e.cert_not_after != 0) {
        line("Cert expires", iso(util::TimePoint(std::chrono::seconds(e.cert_not_after))));
    }
    if (auto const incident = incident_of(e)) {
        line("Incident", *incident);
    }
    line("Event id", e.id);
    return out;
}

std::string format_mail_date(util::TimePoint t) {
    static constexpr char const* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr char const* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t const secs = util::Clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", days[tm.tm_wday % 7], tm.tm_mday,
                       months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string encode_header_text(std::string_view text, std::size_t used) {
    std::string clean(text);
    for (auto& c : clean) {
        if ((c >= 0 && c < 0x20) || c == 0x7f) {
            c = ' ';
        }
    }
    if (is_ascii_printable(clean) && clean.find("=?") == std::string::npos &&
        used + clean.size() <= 900) {
        return clean;
    }
    std::string out;
    std::size_t column = used;
    for (std::size_t pos = 0; pos < clean.size();) {
        if (column + encoded_word_overhead + 4 > encoded_line_max && column > 1) {
            out += "\r\n ";
            column = 1;
        }
        auto const room = encoded_line_max - column - encoded_word_overhead;
        auto const end = chunk_end(clean, pos, std::max<std::size_t>(room / 4 * 3, 3));
        auto const word =
            fmt::format("=?UTF-8?B?{}?=", base64_encode(clean.substr(pos, end - pos)));
        out += word;
        column += word.size();
        pos = end;
        if (pos < clean.size()) {
            out += "\r\n ";
            column = 1;
        }
    }
    return out;
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        auto const n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (auto const rest = bytes.size() - i; rest > 0) {
        auto n = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) {
            n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        }
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string render_email_template(std::string_view tmpl, eval::Event const& event,
                                  std::string const& message) {
    // Split at each {message}, so that a value that happens to contain "{message}" stays as
    // it is.
    constexpr std::string_view token = "{message}";
    std::string out;
    for (std::size_t at = 0;;) {
        auto const next = tmpl.find(token, at);
        out += render_template(tmpl.substr(at, next == std::string_view::npos ? next : next - at),
                               event);
        if (next == std::string_view::npos) {
            return out;
        }
        out += message;
        at = next + token.size();
    }
}

std::string build_email(EmailContent const& content, eval::Event const& event,
                        std::string const& message, util::TimePoint now) {
    auto const subject =
        content.subject.empty() ? message : render_email_template(content.subject, event, message);
    auto const body =
        crlf_lines(content.body.empty() ? default_email_body(event, message)
                                        : render_email_template(content.body, event, message));
    bool const plain = fits_7bit(body);
    std::string out;
    out += fmt::format("Date: {}\r\n", format_mail_date(now));
    out += address_list("From", {content.from}) + "\r\n";
    out += address_list("To", content.to) + "\r\n";
    out += fmt::format("Subject: {}\r\n", encode_header_text(subject, 9));
    out += fmt::format("Message-ID: {}\r\n", email_message_id(event));
    if (auto const root = email_thread_root(event)) {
        out += fmt::format("In-Reply-To: {}\r\nReferences: {}\r\n", *root, *root);
    }
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: text/plain; charset=UTF-8\r\n";
    out += fmt::format("Content-Transfer-Encoding: {}\r\n", plain ? "7bit" : "base64");
    // RFC 3834: no vacation or out-of-office replies to the monitor.
    out += "Auto-Submitted: auto-generated\r\n";
    out += fmt::format("X-Portwatch-Event: {}\r\n", eval::event_kind_name(event.kind));
    out += fmt::format("X-Portwatch-Target: {}\r\n", encode_header_text(event.key, 20));
    out += "\r\n";
    out += plain ? body : base64_lines(body);
    return out;
}

}  // namespace portwatch::notify
