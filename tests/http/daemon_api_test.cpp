#include "http/daemon_api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/fixtures.hpp"

namespace portwatch::http {
namespace {

using nlohmann::json;

TEST(DaemonApiTest, OutboxPerDestinationAndConnectivity) {
    auto snap = test::make_snapshot();
    snap.process.destinations = {
        DestinationView{.name = "ops-mail", .pending = 2},
        DestinationView{.name = "slack", .refused = 3, .last_error = "HTTP 403: invalid_token"},
    };
    snap.process.connectivity_up = false;
    snap.process.notifications_refused = {{"slack", 3}};
    snap.process.refused = {
        RefusedNotification{.event_id = "e7",
                            .destination = "slack",
                            .key = "127.0.0.1:22",
                            .event = "down",
                            .message = "web (127.0.0.1:22) 장애",
                            .error = "HTTP 403: invalid_token",
                            .attempts = 1,
                            .event_time = util::from_epoch_seconds(1749985200),
                            .refused_at = util::from_epoch_seconds(1749985201)}};
    snap.process.canaries = 2;
    auto const j = json::parse(render_daemon(snap));
    EXPECT_EQ(j["version"], "0.1.0");
    EXPECT_EQ(j["started"], "2025-06-15T10:00:00.000Z");
    EXPECT_EQ(j["connectivity"], json::parse(R"({"ok":false,"canaries":2})"));
    EXPECT_EQ(j["outbox"]["pending"], 2);
    EXPECT_EQ(j["outbox"]["destinations"],
              json::parse(R"([{"name":"ops-mail","pending":2,"refused":0,"last_error":null},
                              {"name":"slack","pending":0,"refused":3,
                               "last_error":"HTTP 403: invalid_token"}])"));
    EXPECT_EQ(j["notifications"],
              json::parse(R"({"sent":7,"failed":1,"refused":{"slack":3},"coalesced":{}})"));
    EXPECT_EQ(j["outbox"]["refused"],
              json::parse(R"([{"event_id":"e7","destination":"slack","key":"127.0.0.1:22",
                               "event":"down","message":"web (127.0.0.1:22) 장애",
                               "error":"HTTP 403: invalid_token","attempts":1,
                               "event_time":"2025-06-15T11:00:00.000Z",
                               "refused_at":"2025-06-15T11:00:01.000Z"}])"));
    EXPECT_EQ(j["store_writable"], true);
}

}  // namespace
}  // namespace portwatch::http
