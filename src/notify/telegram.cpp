#include "notify/telegram.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "notify/http_notifier.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

std::string telegram_escape(std::string_view text) {
    return escape_amp_lt_gt(text);
}

std::string telegram_payload(Notification const& n, TelegramOptions const& options) {
    auto const& e = n.event;
    auto text =
        fmt::format("<b>{}</b>\n{}", telegram_escape(event_title(e)), telegram_escape(n.message));
    if (!e.detail.empty() && e.kind == eval::EventKind::down) {
        text += fmt::format("\n<i>{}</i>", telegram_escape(e.detail));
    }
    nlohmann::ordered_json j;
    // A numeric chat id is sent as a number, a @channelname as a string.
    bool const numeric =
        !options.chat_id.empty() &&
        std::all_of(options.chat_id.begin() + (options.chat_id[0] == '-'), options.chat_id.end(),
                    [](unsigned char c) { return std::isdigit(c); });
    if (numeric && options.chat_id != "-") {
        j["chat_id"] = std::stoll(options.chat_id);
    } else {
        j["chat_id"] = options.chat_id;
    }
    if (!options.message_thread_id.empty()) {
        j["message_thread_id"] = std::stoll(options.message_thread_id);
    }
    j["text"] = text;
    j["parse_mode"] = "HTML";
    j["disable_web_page_preview"] = true;
    if (options.disable_notification) {
        j["disable_notification"] = true;
    }
    return dump_json(j);
}

void validate_telegram(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(spec,
                                {"token", "token_file", "token_env", "chat_id", "message_thread_id",
                                 "disable_notification"},
                                false, out);
    validate_http_common(spec, false, false, out);
    validate_secret(spec, "token", true, out);
    require_value(spec, "chat_id", out);
    if (spec.options.contains("message_thread_id")) {
        auto const v = option_value(spec, "message_thread_id");
        if (v.empty() || v.size() > 15 ||
            !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
            out.push_back(config::option_error(spec, "message_thread_id", "expected a number"));
        }
    }
    if (spec.options.contains("chat_id")) {
        auto const v = option_value(spec, "chat_id");
        bool const digits =
            !v.empty() && std::all_of(v.begin() + (v[0] == '-'), v.end(),
                                      [](unsigned char c) { return std::isdigit(c); });
        if (!v.empty() && v[0] != '@' && (!digits || v.size() > 19)) {
            out.push_back(config::option_error(spec, "chat_id",
                                               "expected a numeric chat id or @channelname"));
        }
    }
    validate_bool_option(spec, "disable_notification", out);
}

std::unique_ptr<Notifier> create_telegram(boost::asio::io_context& io,
                                          config::NotifierSpec const& spec,
                                          NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "https://api.telegram.org");
    auto const token = secret_value(spec, "token", context.base_dir.string());
    TelegramOptions const options{
        .chat_id = option_value(spec, "chat_id"),
        .message_thread_id = option_value(spec, "message_thread_id"),
        .disable_notification = bool_option(spec, "disable_notification", false)};
    auto const url = join_url(endpoint.url, fmt::format("/bot{}/sendMessage", token));
    return std::make_unique<HttpNotifier>(
        io, spec.name,
        [url, endpoint, options](Notification const& n) {
            return std::optional(json_post(url, telegram_payload(n, options), endpoint.tls));
        },
        std::vector<std::string>{token});
}

}  // namespace portwatch::notify
