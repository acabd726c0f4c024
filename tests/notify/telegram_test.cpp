#include "notify/telegram.hpp"

#include <gtest/gtest.h>

#include "notify/error.hpp"
#include "notify/http_receiver.hpp"
#include "notify/kind_support.hpp"

namespace portwatch::notify {
namespace {

using eval::EventKind;
using test::sample;

TEST(TelegramPayload, HtmlEscapedSendMessage) {
    EXPECT_EQ(telegram_escape("a<b>&c\"d'"), "a&lt;b&gt;&amp;c\"d'");
    test::expect_golden("telegram_down.json",
                        telegram_payload(sample(EventKind::down),
                                         {.chat_id = "-100123", .message_thread_id = "42"}));
    test::expect_golden("telegram_up.json",
                        telegram_payload(sample(EventKind::up), {.chat_id = "@ops_channel",
                                                                 .disable_notification = true}));
}

TEST(TelegramConfig, TokenAndChatAreRequired) {
    EXPECT_EQ(test::errors_of("notifiers:\n  - type: telegram\n"),
              (std::vector<std::string>{
                  "/etc/pw.yaml:2:5: notifiers.telegram.token: missing (give token, token_file "
                  "or token_env)",
                  "/etc/pw.yaml:2:5: notifiers.telegram.chat_id: missing"}));
    EXPECT_EQ(test::errors_of("notifiers:\n  - type: telegram\n    token: 123:ABC\n"
                              "    chat_id: ops\n    message_thread_id: x1\n"),
              (std::vector<std::string>{
                  "/etc/pw.yaml:5:5: notifiers.telegram.message_thread_id: expected a number",
                  "/etc/pw.yaml:4:5: notifiers.telegram.chat_id: expected a numeric chat id or "
                  "@channelname"}));
}

TEST(TelegramDelivery, PostsToTheBotPathAndHidesTheToken) {
    test::HttpReceiver receiver;
    ASSERT_TRUE(receiver.ok());
    boost::asio::io_context io;
    auto ok = test::make(io, "notifiers:\n  - {type: telegram, url: '" + receiver.url("ok") +
                                 "', token: '123:SECRETTOKEN', chat_id: '-100123'}\n");
    auto const r = test::deliver(io, *ok, sample(EventKind::down));
    EXPECT_TRUE(r.ok()) << r.detail;
    auto const reqs = receiver.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].path, "/ok/bot123:SECRETTOKEN/sendMessage");
    EXPECT_EQ(reqs[0].body, telegram_payload(sample(EventKind::down), {.chat_id = "-100123"}));

    auto bad = test::make(io, "notifiers:\n  - {type: telegram, url: '" + receiver.url("echo") +
                                  "', token: '123:SECRETTOKEN', chat_id: '-100123'}\n");
    auto const refused = test::deliver(io, *bad, sample(EventKind::down));
    EXPECT_EQ(refused.error, DeliveryCondition::permanent);
    EXPECT_EQ(refused.detail, "HTTP status 400: /echo/bot<redacted>/sendMessage");
}

}  // namespace
}  // namespace portwatch::notify
