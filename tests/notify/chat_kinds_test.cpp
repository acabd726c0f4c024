// slack, discord, teams: webhook URLs that are secrets; payloads to the byte.
#include <gtest/gtest.h>

#include "notify/discord.hpp"
#include "notify/error.hpp"
#include "notify/http_receiver.hpp"
#include "notify/kind_support.hpp"
#include "notify/slack.hpp"
#include "notify/teams.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::notify {
namespace {

using eval::EventKind;
using test::sample;

TEST(SlackPayload, ColouredAttachmentPerEvent) {
    test::expect_golden("slack_down.json", slack_payload(sample(EventKind::down)));
    test::expect_golden("slack_up.json", slack_payload(sample(EventKind::up)));
    test::expect_golden("slack_cert_expiring.json",
                        slack_payload(sample(EventKind::cert_expiring),
                                      {.channel = "#ops", .username = "portwatch"}));
}

TEST(SlackPayload, MrkdwnEscaping) {
    EXPECT_EQ(slack_escape("<!channel> a&b > c"), "&lt;!channel&gt; a&amp;b &gt; c");
}

TEST(DiscordPayload, OneEmbedPerEvent) {
    test::expect_golden("discord_down.json", discord_payload(sample(EventKind::down)));
    test::expect_golden("discord_up.json", discord_payload(sample(EventKind::up), {"pw"}));
}

TEST(DiscordPayload, LongTextIsCutAtCharacterBoundaries) {
    auto n = sample(EventKind::down);
    n.event.detail.clear();
    for (int i = 0; i < 600; ++i) {
        n.event.detail += "장";  // 3 bytes each
    }
    auto const body = discord_payload(n);
    auto const at = body.find("\"name\":\"Detail\",\"value\":\"");
    ASSERT_NE(at, std::string::npos);
    auto const value = body.substr(at + 25, body.find('"', at + 25) - at - 25);
    EXPECT_LE(value.size(), 1024u);
    EXPECT_EQ(value.substr(value.size() - 3), "...");
    EXPECT_EQ((value.size() - 3) % 3, 0u);  // whole characters only
}

TEST(TeamsPayload, AdaptiveCardMessage) {
    test::expect_golden("teams_down.json", teams_payload(sample(EventKind::down), {}));
    test::expect_golden("teams_up.json", teams_payload(sample(EventKind::up), {}));
}

TEST(ChatConfig, UrlIsARequiredSecretNeverShown) {
    for (std::string type : {"slack", "discord", "teams"}) {
        SCOPED_TRACE(type);
        EXPECT_EQ(test::errors_of("notifiers:\n  - type: " + type + "\n"),
                  (std::vector<std::string>{"/etc/pw.yaml:2:5: notifiers." + type +
                                            ".url: missing (give url, url_file or url_env)"}));
        EXPECT_EQ(test::errors_of("notifiers:\n  - type: " + type +
                                  "\n    url: hooks.example/T0/B0/SECRET\n"),
                  (std::vector<std::string>{"/etc/pw.yaml:3:5: notifiers." + type +
                                            ".url: expected an http:// or https:// URL"}));
        EXPECT_EQ(test::errors_of("notifiers:\n  - type: " + type +
                                  "\n    url_env: PW_TEST_UNSET_HOOK\n"),
                  (std::vector<std::string>{
                      "/etc/pw.yaml:3:5: notifiers." + type +
                      ".url_env: environment variable PW_TEST_UNSET_HOOK is not set or empty"}));
    }
    EXPECT_EQ(test::errors_of("notifiers:\n  - {type: teams, url: 'https://x/', channel: a}\n"),
              (std::vector<std::string>{
                  "/etc/pw.yaml:2:38: notifiers.teams.channel: unknown key for type teams "
                  "(expected one of: name, type, timeout, concurrency, max_age, templates, url, "
                  "url_file, url_env, ca_file, tls_verify)"}));
}

class ChatDelivery : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(receiver.ok()); }
    boost::asio::io_context io;
    test::HttpReceiver receiver;
};

TEST_F(ChatDelivery, EachKindPostsItsPayloadToItsUrl) {
    struct Case {
        std::string type;
        std::string body;
    };
    auto const n = sample(EventKind::down);
    for (auto const& c : {Case{"slack", slack_payload(n)}, Case{"discord", discord_payload(n)},
                          Case{"teams", teams_payload(n, {})}}) {
        SCOPED_TRACE(c.type);
        auto notifier = test::make(io, "notifiers:\n  - {type: " + c.type + ", url: '" +
                                           receiver.url("ok") + "/T0/B0/" + c.type + "'}\n");
        auto const r = test::deliver(io, *notifier, n);
        EXPECT_TRUE(r.ok()) << r.detail;
        auto const reqs = receiver.requests();
        ASSERT_FALSE(reqs.empty());
        EXPECT_EQ(reqs.back().path, "/ok/T0/B0/" + c.type);
        EXPECT_EQ(reqs.back().headers.at("content-type"), "application/json");
        EXPECT_EQ(reqs.back().body, c.body);
    }
}

TEST_F(ChatDelivery, WebhookUrlFromAFileNeverAppearsInTheDetail) {
    test::TempDir dir;
    auto const file = dir.write("hook", receiver.url("echo") + "/T0/B0/XSECRETX\n");
    auto notifier =
        test::make(io, "notifiers:\n  - {type: slack, url_file: '" + file.string() + "'}\n");
    auto const r = test::deliver(io, *notifier, sample(EventKind::down));
    EXPECT_EQ(r.error, DeliveryError::rejected);
    EXPECT_EQ(r.detail, "HTTP status 400: <redacted>");
    EXPECT_EQ(r.detail.find("XSECRETX"), std::string::npos);
}

}  // namespace
}  // namespace portwatch::notify
