#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/notifier.hpp"
#include "notify/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

/// Telegram Bot API sendMessage: `url` (default https://api.telegram.org), `token` (secret:
/// token, token_file or token_env), `chat_id` (required), `message_thread_id` (a forum
/// topic), `disable_notification` (true/false). HTML parse mode.
struct TelegramOptions {
    std::string chat_id;
    std::string message_thread_id;  ///< empty: none
    bool disable_notification = false;
};

/// Pure: `text` with &, < and > escaped as Telegram's HTML parse mode requires.
std::string telegram_escape(std::string_view text);

/// Pure: the JSON body of sendMessage for a notification.
std::string telegram_payload(Notification const& n, TelegramOptions const& options);

void validate_telegram(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);
std::unique_ptr<Notifier> create_telegram(boost::asio::io_context& io,
                                          config::NotifierSpec const& spec,
                                          NotifierContext const& context);

}  // namespace portwatch::notify
