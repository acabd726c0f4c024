// ntfy and gotify: self-hostable push services.
#include <gtest/gtest.h>

#include "notify/error.hpp"
#include "notify/gotify.hpp"
#include "notify/http_receiver.hpp"
#include "notify/kind_support.hpp"
#include "notify/ntfy.hpp"

namespace portwatch::notify {
namespace {

using eval::EventKind;
using test::sample;

std::string dump(HttpRequest const& r) {
    std::string out;
    for (auto const& [k, v] : r.headers) {
        out += k + ": " + v + "\n";
    }
    return out + "\n" + r.body;
}

TEST(NtfyPayload, HeadersByEventAndTextBody) {
    test::expect_golden("ntfy_down.txt", dump(ntfy_request(sample(EventKind::down), {})));
    test::expect_golden("ntfy_up.txt", dump(ntfy_request(sample(EventKind::up), {"2"})));
    // A title that is not ASCII is an RFC 2047 encoded word.
    auto n = sample(EventKind::down);
    n.event.name = "데이터베이스";
    auto const r = ntfy_request(n, {});
    EXPECT_EQ(r.headers[1].second,
              "=?UTF-8?B?RE9XTiDrjbDsnbTthLDrsqDsnbTsiqQgKGRiMS5leGFtcGxlOjU0MzIp?=");
}

TEST(GotifyPayload, PriorityByEvent) {
    test::expect_golden("gotify_down.json", gotify_payload(sample(EventKind::down)));
    test::expect_golden("gotify_up.json", gotify_payload(sample(EventKind::up), {.priority = 2}));
}

TEST(NtfyGotifyConfig, RequiredOptions) {
    EXPECT_EQ(test::errors_of("notifiers:\n  - {type: ntfy, topic: 'a/b', priority: 9}\n"),
              (std::vector<std::string>{
                  "/etc/pw.yaml:2:18: notifiers.ntfy.topic: expected a topic name (no / ? #)",
                  "/etc/pw.yaml:2:32: notifiers.ntfy.priority: expected 1 to 5"}));
    EXPECT_EQ(test::errors_of("notifiers:\n  - {type: ntfy}\n"),
              (std::vector<std::string>{"/etc/pw.yaml:2:5: notifiers.ntfy.url: missing"}));
    EXPECT_EQ(test::errors_of("notifiers:\n  - {type: gotify, token: t}\n"),
              (std::vector<std::string>{"/etc/pw.yaml:2:5: notifiers.gotify.url: missing"}));
}

TEST(NtfyGotifyDelivery, PostToTheirEndpoints) {
    test::HttpReceiver receiver;
    ASSERT_TRUE(receiver.ok());
    boost::asio::io_context io;
    auto ntfy = test::make(io, "notifiers:\n  - {type: ntfy, url: '" + receiver.url("ok") +
                                   "', topic: alerts, token: tk_SECRET}\n");
    auto const r1 = test::deliver(io, *ntfy, sample(EventKind::down));
    EXPECT_TRUE(r1.ok()) << r1.detail;
    auto gotify = test::make(
        io, "notifiers:\n  - {type: gotify, url: '" + receiver.url("ok") + "/', token: AppTok}\n");
    auto const r2 = test::deliver(io, *gotify, sample(EventKind::up));
    EXPECT_TRUE(r2.ok()) << r2.detail;
    auto topic_url =
        test::make(io, "notifiers:\n  - {type: ntfy, url: '" + receiver.url("ok/mytopic") + "'}\n");
    auto const r3 = test::deliver(io, *topic_url, sample(EventKind::up));
    EXPECT_TRUE(r3.ok()) << r3.detail;
    auto const reqs = receiver.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[2].path, "/ok/mytopic");
    EXPECT_FALSE(reqs[2].headers.contains("authorization"));
    EXPECT_EQ(reqs[0].path, "/ok/alerts");
    EXPECT_EQ(reqs[0].headers.at("authorization"), "Bearer tk_SECRET");
    EXPECT_EQ(reqs[0].headers.at("title"), "DOWN db (db1.example:5432)");
    EXPECT_EQ(reqs[0].headers.at("priority"), "4");
    EXPECT_EQ(reqs[0].headers.at("tags"), "rotating_light");
    EXPECT_EQ(reqs[0].body, sample(EventKind::down).message);
    EXPECT_EQ(reqs[1].path, "/ok/message");
    EXPECT_EQ(reqs[1].headers.at("x-gotify-key"), "AppTok");
    EXPECT_EQ(reqs[1].body, gotify_payload(sample(EventKind::up)));
}

}  // namespace
}  // namespace portwatch::notify
