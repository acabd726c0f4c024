#include "notify/message.hpp"

#include <cstdlib>
#include <ctime>

#include <vector>

#include <gtest/gtest.h>

namespace portwatch::notify {
namespace {

using namespace std::chrono_literals;

class MessageTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ::setenv("TZ", "Asia/Seoul", 1);
        ::tzset();
    }
    void TearDown() override {
        ::unsetenv("TZ");
        ::tzset();
    }
    // 2025-07-05 06:30:00 UTC = 15:30:00 in Seoul, as in the seed README.
    eval::Event event(eval::EventKind kind, std::string description) {
        return eval::Event{.kind = kind,
                           .key = "1.2.3.4:80",
                           .host = "1.2.3.4",
                           .port = 80,
                           .description = std::move(description),
                           .reason = "refused",
                           .time = util::TimePoint(1'751'697'000s)};
    }
};

TEST_F(MessageTest, SeedFailureByteForByte) {
    EXPECT_EQ(render_message(event(eval::EventKind::down, "My Web Server")),
              "My Web Server (1.2.3.4:80) \xEC\x9E\xA5\xEC\x95\xA0 (2025.07.05 15:30:00)");
}

TEST_F(MessageTest, SeedRecoveryByteForByte) {
    EXPECT_EQ(render_message(event(eval::EventKind::up, "My Web Server")),
              "My Web Server (1.2.3.4:80) \xEB\xB3\xB5\xEA\xB5\xAC (2025.07.05 15:30:00)");
}

TEST_F(MessageTest, NoDescription) {
    EXPECT_EQ(render_message(event(eval::EventKind::down, "")),
              "1.2.3.4:80 장애 (2025.07.05 15:30:00)");
    EXPECT_EQ(render_message(event(eval::EventKind::up, "")),
              "1.2.3.4:80 복구 (2025.07.05 15:30:00)");
}

TEST_F(MessageTest, Ipv6HostAsWritten) {
    auto e = event(eval::EventKind::down, "SSH");
    e.host = "::1";
    e.port = 22;
    EXPECT_EQ(render_message(e), "SSH (::1:22) 장애 (2025.07.05 15:30:00)");
    e.host = "[::1]";
    EXPECT_EQ(render_message(e), "SSH ([::1]:22) 장애 (2025.07.05 15:30:00)");
}

TEST_F(MessageTest, DescriptionIsNeverInterpreted) {
    auto const e = event(eval::EventKind::down, "{host} $(x) {nope} {");
    EXPECT_EQ(render_message(e), "{host} $(x) {nope} { (1.2.3.4:80) 장애 (2025.07.05 15:30:00)");
}

TEST_F(MessageTest, CustomTemplate) {
    auto const e = event(eval::EventKind::down, "W");
    EXPECT_EQ(render_template("[{status}] {key} {reason} {unknown} {", e),
              "[장애] 1.2.3.4:80 refused {unknown} {");
}

TEST_F(MessageTest, RenderHandlesEveryKindInOnePlace) {
    struct Case {
        char const* name;
        eval::EventKind kind;
        char const* description;
        bool reminder;
        std::string expected;
    };
    std::vector<Case> const cases = {
        {"down", eval::EventKind::down, "Web", false,
         "Web (1.2.3.4:80) 장애 (2025.07.05 15:30:00)"},
        {"up", eval::EventKind::up, "Web", false, "Web (1.2.3.4:80) 복구 (2025.07.05 15:30:00)"},
        {"down_bare", eval::EventKind::down, "", false, "1.2.3.4:80 장애 (2025.07.05 15:30:00)"},
        {"up_bare", eval::EventKind::up, "", false, "1.2.3.4:80 복구 (2025.07.05 15:30:00)"},
        {"reminder", eval::EventKind::down, "Web", true,
         "Web (1.2.3.4:80) 장애 지속 (2025.07.05 15:30:00)"},
        {"reminder_bare", eval::EventKind::down, "", true,
         "1.2.3.4:80 장애 지속 (2025.07.05 15:30:00)"},
    };
    for (auto const& c : cases) {
        SCOPED_TRACE(c.name);
        auto e = event(c.kind, c.description);
        e.reminder = c.reminder;
        EXPECT_EQ(render(e), c.expected);
        EXPECT_EQ(render_message(e), c.expected);
    }
    MessageTemplates custom;
    custom.reminder = "still down: {key}";
    auto e = event(eval::EventKind::down, "Web");
    e.reminder = true;
    EXPECT_EQ(render(e, custom), "still down: 1.2.3.4:80");
}

}  // namespace
}  // namespace portwatch::notify

namespace portwatch::notify {
namespace {

TEST(MessagePlaceholders, NamedFieldsLabelsDurationAndCertificateDays) {
    using namespace std::chrono_literals;
    auto const t = util::TimePoint(1'750'000'000s);
    eval::Event e{.kind = eval::EventKind::up,
                  .key = "tls://h:443",
                  .host = "h",
                  .port = 443,
                  .reason = "",
                  .detail = "handshake ok",
                  .time = t,
                  .name = "web",
                  .group = "edge",
                  .labels = {{"env", "prod"}},
                  .down_since = t - 3723s};
    EXPECT_EQ(render_template("{name}/{group}/{labels.env}/{labels.none}/{duration}/{detail}", e),
              "web/edge/prod//1h 2m 3s/handshake ok");
    EXPECT_EQ(render_template("{status}", e), "복구");
    EXPECT_EQ(format_duration(0s), "0s");
    EXPECT_EQ(format_duration(90061s), "1d 1h 1m 1s");
    EXPECT_EQ(format_duration(3600s), "1h 0m 0s");
    e.kind = eval::EventKind::cert_expiring;
    e.cert_not_after = 1'750'000'000 + 5 * 86400 + 100;
    EXPECT_EQ(render_template("{status} {days_left}", e), "인증서 만료 임박 5");
    EXPECT_EQ(placeholder_value("labels.env", e), std::optional<std::string>("prod"));
    EXPECT_EQ(placeholder_value("nope", e), std::nullopt);
    e.name.clear();
    EXPECT_EQ(render_template("{name}", e), "tls://h:443");
}

}  // namespace
}  // namespace portwatch::notify
