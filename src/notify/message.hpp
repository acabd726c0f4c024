#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "eval/event.hpp"

namespace portwatch::notify {

/// Message templates. Placeholders: {description} {host} {port} {key} {name} {group}
/// {labels.X} {time} {reason} {detail} {status} {duration} {cert_not_after} {days_left}
/// ({time} is "YYYY.MM.DD HH:MM:SS", local time; {status} is 장애 or 복구, 인증서 만료 임박 or
/// 인증서 갱신; {duration} is how long the target has been down, e.g. "1h 5m 3s";
/// {cert_not_after} the certificate's expiry in the {time} format).
/// The *_bare variants are used when the target has no description; reminder* for a
/// repeated failure message of a target still DOWN (Event::reminder); cert_expiring* for a
/// certificate that expires within the target's expiry_warn (first and reminders), and
/// cert_renewed* when a renewed certificate ends that warning.
struct MessageTemplates {
    std::string down = "{description} ({host}:{port}) 장애 ({time})";
    std::string up = "{description} ({host}:{port}) 복구 ({time})";
    std::string down_bare = "{host}:{port} 장애 ({time})";
    std::string up_bare = "{host}:{port} 복구 ({time})";
    std::string reminder = "{description} ({host}:{port}) 장애 지속 ({time})";
    std::string reminder_bare = "{host}:{port} 장애 지속 ({time})";
    std::string cert_expiring =
        "{description} ({host}:{port}) 인증서 만료 임박 {days_left}일 ({cert_not_after})";
    std::string cert_expiring_bare =
        "{host}:{port} 인증서 만료 임박 {days_left}일 ({cert_not_after})";
    std::string cert_renewed = "{description} ({host}:{port}) 인증서 갱신 ({cert_not_after})";
    std::string cert_renewed_bare = "{host}:{port} 인증서 갱신 ({cert_not_after})";

    bool operator==(MessageTemplates const&) const = default;
};

/// Pure: THE message for an event (down, up or reminder; with or without a description),
/// byte for byte the seed script's with the default templates. Both modes render here.
std::string render(eval::Event const& event, MessageTemplates const& templates = {});

/// Same as render(); kept for existing callers.
std::string render_message(eval::Event const& event, MessageTemplates const& templates = {});

/// Substitutes {name} placeholders; unknown names and lone braces are kept as written.
std::string render_template(std::string_view tmpl, eval::Event const& event);

/// The value of one placeholder ("host", "labels.env", ...) for an event; nullopt when the
/// name is unknown. For notifiers that build payloads field by field.
std::optional<std::string> placeholder_value(std::string_view name, eval::Event const& event);

/// "1h 5m 3s" ("0s" for less than a second): how long a target has been down at the event.
std::string format_duration(std::chrono::seconds d);

}  // namespace portwatch::notify
