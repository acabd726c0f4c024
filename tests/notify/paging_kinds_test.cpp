// pagerduty and opsgenie: one alert per incident, resolved on recovery.
#include <gtest/gtest.h>

#include "notify/error.hpp"
#include "notify/http_receiver.hpp"
#include "notify/kind_support.hpp"
#include "notify/opsgenie.hpp"
#include "notify/pagerduty.hpp"

namespace portwatch::notify {
namespace {

using namespace std::chrono_literals;
using eval::EventKind;
using test::sample;
using test::sample_event;

TEST(PagerDutyPayload, TriggerOnDownResolveOnUp) {
    PagerDutyOptions const o{.routing_key = "R0UTINGKEY"};
    test::expect_golden("pagerduty_down.json", pagerduty_payload(sample(EventKind::down), o));
    test::expect_golden("pagerduty_up.json", pagerduty_payload(sample(EventKind::up), o));
    test::expect_golden("pagerduty_cert_expiring.json",
                        pagerduty_payload(sample(EventKind::cert_expiring), o));
}

TEST(PagerDutyPayload, DedupKeyIsStablePerTargetAndIncident) {
    auto down = sample_event(EventKind::down);
    auto reminder = down;
    reminder.reminder = true;
    reminder.time += 10min;
    auto const up = sample_event(EventKind::up);
    EXPECT_EQ(pagerduty_dedup_key(down), "db1.example:5432/1764892800");
    EXPECT_EQ(pagerduty_dedup_key(reminder), pagerduty_dedup_key(down));
    EXPECT_EQ(pagerduty_dedup_key(up), pagerduty_dedup_key(down));
    auto next = down;
    next.down_since += 1h;
    EXPECT_NE(pagerduty_dedup_key(next), pagerduty_dedup_key(down));
    auto other = down;
    other.key = "db2.example:5432";
    EXPECT_NE(pagerduty_dedup_key(other), pagerduty_dedup_key(down));
    auto renewed = sample_event(EventKind::cert_renewed);
    renewed.cert_not_after += 86400 * 90;
    EXPECT_EQ(pagerduty_dedup_key(renewed),
              pagerduty_dedup_key(sample_event(EventKind::cert_expiring)));
    EXPECT_NE(pagerduty_dedup_key(renewed), pagerduty_dedup_key(down));
}

TEST(OpsgeniePayload, CreateOnDownCloseOnUp) {
    auto const create = opsgenie_call(sample(EventKind::down));
    EXPECT_EQ(create.path, "/v2/alerts");
    test::expect_golden("opsgenie_down.json", create.body);
    auto const close = opsgenie_call(sample(EventKind::up));
    EXPECT_EQ(close.path, "/v2/alerts/db1.example%3A5432%2F1764892800/close?identifierType=alias");
    test::expect_golden("opsgenie_up.json", close.body);
    auto const cert = opsgenie_call(sample(EventKind::cert_expiring), {.priority = "P1"});
    EXPECT_EQ(opsgenie_alias(sample_event(EventKind::cert_expiring)), "db1.example:5432/cert");
    test::expect_golden("opsgenie_cert_expiring.json", cert.body);
}

TEST(PagingConfig, KeysAreRequiredSecrets) {
    EXPECT_EQ(test::errors_of("notifiers:\n  - {type: pagerduty, severity: high}\n"),
              (std::vector<std::string>{
                  "/etc/pw.yaml:2:5: notifiers.pagerduty.routing_key: missing (give "
                  "routing_key, routing_key_file or routing_key_env)",
                  "/etc/pw.yaml:2:23: notifiers.pagerduty.severity: expected critical, error, "
                  "warning or info"}));
    EXPECT_EQ(test::errors_of("notifiers:\n  - {type: opsgenie, api_key_file: /nonexistent/k}\n"),
              (std::vector<std::string>{"/etc/pw.yaml:2:22: notifiers.opsgenie.api_key_file: "
                                        "cannot read /nonexistent/k: cannot open /nonexistent/k"}));
}

TEST(PagingDelivery, PostsWithTheirKeysAndMapsRefusals) {
    test::HttpReceiver receiver;
    ASSERT_TRUE(receiver.ok());
    boost::asio::io_context io;
    auto pd = test::make(io, "notifiers:\n  - {type: pagerduty, url: '" + receiver.url("ok") +
                                 "', routing_key: RKEY0123}\n");
    EXPECT_TRUE(test::deliver(io, *pd, sample(EventKind::down)).ok());
    EXPECT_TRUE(test::deliver(io, *pd, sample(EventKind::up)).ok());
    auto og = test::make(io, "notifiers:\n  - {type: opsgenie, url: '" + receiver.url("ok") +
                                 "', api_key: GKEY0123}\n");
    EXPECT_TRUE(test::deliver(io, *og, sample(EventKind::down)).ok());
    EXPECT_TRUE(test::deliver(io, *og, sample(EventKind::up)).ok());
    auto const reqs = receiver.requests();
    ASSERT_EQ(reqs.size(), 4u);
    EXPECT_EQ(reqs[0].path, "/ok/v2/enqueue");
    EXPECT_EQ(reqs[0].body,
              pagerduty_payload(sample(EventKind::down), {.routing_key = "RKEY0123"}));
    EXPECT_EQ(reqs[1].body, pagerduty_payload(sample(EventKind::up), {.routing_key = "RKEY0123"}));
    EXPECT_EQ(reqs[2].path, "/ok/v2/alerts");
    EXPECT_EQ(reqs[2].headers.at("authorization"), "GenieKey GKEY0123");
    EXPECT_EQ(reqs[3].path,
              "/ok/v2/alerts/db1.example%3A5432%2F1764892800/close?identifierType=alias");

    auto limited = test::make(io, "notifiers:\n  - {type: pagerduty, url: '" + receiver.url("429") +
                                      "', routing_key: RKEY0123}\n");
    auto const r = test::deliver(io, *limited, sample(EventKind::down));
    EXPECT_EQ(r.error, DeliveryError::rate_limited);
    EXPECT_EQ(r.retry_after, std::optional(7s));
}

}  // namespace
}  // namespace portwatch::notify
