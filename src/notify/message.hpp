#pragma once

#include <string>
#include <string_view>

#include "eval/event.hpp"

namespace portwatch::notify {

/// Message templates. Placeholders: {description} {host} {port} {key} {time} {reason}
/// {status} ({time} is "YYYY.MM.DD HH:MM:SS", local time; {status} is 장애 or 복구).
/// The *_bare variants are used when the target has no description.
struct MessageTemplates {
    std::string down = "{description} ({host}:{port}) 장애 ({time})";
    std::string up = "{description} ({host}:{port}) 복구 ({time})";
    std::string down_bare = "{host}:{port} 장애 ({time})";
    std::string up_bare = "{host}:{port} 복구 ({time})";

    bool operator==(MessageTemplates const&) const = default;
};

/// Pure: the message for an event, byte for byte the seed script's with the defaults.
std::string render_message(eval::Event const& event, MessageTemplates const& templates = {});

/// Substitutes {name} placeholders; unknown names and lone braces are kept as written.
std::string render_template(std::string_view tmpl, eval::Event const& event);

}  // namespace portwatch::notify
