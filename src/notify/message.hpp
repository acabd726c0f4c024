#pragma once

#include <string>
#include <string_view>

#include "eval/event.hpp"

namespace portwatch::notify {

/// Message templates. Placeholders: {description} {host} {port} {key} {time} {reason}
/// {status} ({time} is "YYYY.MM.DD HH:MM:SS", local time; {status} is 장애 or 복구).
/// The *_bare variants are used when the target has no description; reminder* for a
/// repeated failure message of a target still DOWN (Event::reminder).
struct MessageTemplates {
    std::string down = "{description} ({host}:{port}) 장애 ({time})";
    std::string up = "{description} ({host}:{port}) 복구 ({time})";
    std::string down_bare = "{host}:{port} 장애 ({time})";
    std::string up_bare = "{host}:{port} 복구 ({time})";
    std::string reminder = "{description} ({host}:{port}) 장애 지속 ({time})";
    std::string reminder_bare = "{host}:{port} 장애 지속 ({time})";

    bool operator==(MessageTemplates const&) const = default;
};

/// Pure: THE message for an event (down, up or reminder; with or without a description),
/// byte for byte the seed script's with the default templates. Both modes render here.
std::string render(eval::Event const& event, MessageTemplates const& templates = {});

/// Same as render(); kept for existing callers.
std::string render_message(eval::Event const& event, MessageTemplates const& templates = {});

/// Substitutes {name} placeholders; unknown names and lone braces are kept as written.
std::string render_template(std::string_view tmpl, eval::Event const& event);

}  // namespace portwatch::notify
