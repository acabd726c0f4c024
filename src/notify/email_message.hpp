#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eval/event.hpp"
#include "util/time.hpp"

namespace portwatch::notify {

/// One address as written in `from:` or `to:`: "ops@example.com" or
/// "Ops Team <ops@example.com>".
struct Mailbox {
    std::string display;  ///< the display name, may be empty
    std::string address;  ///< the addr-spec, what the envelope carries

    bool operator==(Mailbox const&) const = default;
};

/// Parses a mailbox; nullopt when the address is not LOCAL@DOMAIN with printable ASCII and
/// no spaces, brackets, quotes or commas (nothing that could break a header or the SMTP
/// dialogue).
std::optional<Mailbox> parse_mailbox(std::string_view text);

/// What a mail says besides the event: the header addresses and the templates.
struct EmailContent {
    Mailbox from;
    std::vector<Mailbox> to;
    /// Placeholder templates (notify/message.hpp); empty keeps the default: the subject is
    /// the rendered message, the body the message followed by the event's details.
    std::string subject;
    std::string body;

    bool operator==(EmailContent const&) const = default;
};

/// Pure: the whole RFC 5322 message for a notification (`message` is its rendered text),
/// CRLF line ends, with `now` as its Date. The subject is RFC 2047 encoded (UTF-8, base64)
/// when it is not plain ASCII; the body is 7bit when ASCII with short lines, else base64.
/// The Message-ID and the threading headers come from email_message_id() and
/// email_thread_root().
std::string build_email(EmailContent const& content, eval::Event const& event,
                        std::string const& message, util::TimePoint now);

/// Pure: a subject or body template: the placeholders of notify/message.hpp plus {message}
/// (the rendered message, the notifier's templates applied).
std::string render_email_template(std::string_view tmpl, eval::Event const& event,
                                  std::string const& message);

/// "<ID@portwatch>", unique per event and stable across retries. A DOWN event (not a
/// reminder) opens its incident's thread: its id derives from Event::incident_id() alone.
std::string email_message_id(eval::Event const& event);

/// The Message-ID of the mail that opened the event's thread (the incident's DOWN mail, or
/// the certificate warning's root), for In-Reply-To and References; nullopt for the DOWN
/// mail itself and when the incident's start is unknown.
std::optional<std::string> email_thread_root(eval::Event const& event);

/// The default body: the message, a blank line, then the event's details one per line.
std::string default_email_body(eval::Event const& event, std::string const& message);

/// "Sat, 05 Dec 2026 00:40:55 +0000" (RFC 5322 date, UTC).
std::string format_mail_date(util::TimePoint t);

/// Unstructured header text: as is when printable ASCII, else RFC 2047 encoded words
/// (=?UTF-8?B?...?=, each under 76 characters, split between characters) folded with
/// CRLF SP. Control characters become spaces. `used` is how much of the first line the
/// header name took.
std::string encode_header_text(std::string_view text, std::size_t used);

/// Standard base64 with padding, on one line.
std::string base64_encode(std::string_view bytes);

}  // namespace portwatch::notify
