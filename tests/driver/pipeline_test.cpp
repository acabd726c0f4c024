#include "driver/pipeline.hpp"

#include <gtest/gtest.h>

#include "driver/connectivity.hpp"

namespace portwatch::driver {
namespace {

util::TimePoint at(int s) {
    return util::TimePoint(std::chrono::seconds(1'700'000'000 + s));
}

config::Target const web{.host = "10.0.0.1", .port = 80, .description = "Web"};

probe::ProbeResult refused() {
    return probe::ProbeResult{.up = false, .error = probe::ProbeError::refused, .detail = "no"};
}

TEST(PipelineTest, FirstSeenDownGoesToEveryDestinationInItsOwnWords) {
    std::vector<Destination> const dests{
        Destination{.name = "seed"},
        Destination{.name = "short", .templates = {.down = "{key} DOWN"}}};
    auto const step = process(web, std::nullopt, observation_of(refused(), true), {}, at(0), dests);
    EXPECT_EQ(step.state.status, eval::Status::down);
    ASSERT_TRUE(step.transition);
    EXPECT_EQ(step.transition->to, eval::Status::down);
    ASSERT_EQ(step.entries.size(), 2u);
    EXPECT_EQ(step.entries[0].destination, "seed");
    EXPECT_EQ(step.entries[1].destination, "short");
    EXPECT_EQ(step.entries[1].message, "10.0.0.1:80 DOWN");
    EXPECT_EQ(step.entries[0].event, step.entries[1].event);
    EXPECT_TRUE(step.entries[0].message.starts_with("Web (10.0.0.1:80) 장애 ("));
}

// A YAML target's events carry its name, group and labels; a certificate close to expiry
// adds a warning in the seed's style beside the recovery of the same check.
TEST(PipelineTest, EventsCarryTheSpecAndCertificateWarningsGoOutToo) {
    config::TargetSpec spec{.target = {.host = "h", .port = 443, .kind = "tls"},
                            .name = "web-cert",
                            .labels = {{"env", "prod"}},
                            .group = "edge"};
    std::vector<Destination> const dests{Destination{.name = "a"}, Destination{.name = "b"}};
    probe::ProbeResult ok{.up = true};
    ok.facts.cert_not_after = 1'700'000'000 + 3 * 86400;
    eval::TargetState const down{
        .status = eval::Status::down, .since = at(-60), .reason = "refused"};
    auto const step = process(spec.target, down, observation_of(ok, true),
                              {.expiry_warn = std::chrono::hours(24 * 14)}, at(0), dests, &spec);
    ASSERT_EQ(step.entries.size(), 4u);
    EXPECT_EQ(step.entries[0].event.kind, eval::EventKind::up);
    EXPECT_EQ(step.entries[2].event.kind, eval::EventKind::cert_expiring);
    EXPECT_EQ(step.entries[3].destination, "b");
    for (auto const& e : step.entries) {
        EXPECT_EQ(e.event.name, "web-cert");
        EXPECT_EQ(e.event.group, "edge");
        EXPECT_EQ(e.event.labels.at("env"), "prod");
    }
    EXPECT_EQ(step.entries[2].message.find("h:443 인증서 만료 임박 3일 ("), 0u)
        << step.entries[2].message;
    EXPECT_EQ(step.state.cert_warned, ok.facts.cert_not_after);
}

TEST(PipelineTest, FirstSeenUpIsATransitionButSilent) {
    std::vector<Destination> const dests{Destination{}};
    auto const step =
        process(web, std::nullopt, observation_of({.up = true}, true), {}, at(0), dests);
    EXPECT_TRUE(step.transition);
    EXPECT_FALSE(step.announced());
}

TEST(PipelineTest, FailureWhileConnectivityIsLostIsUnknown) {
    auto const obs = observation_of(refused(), false);
    EXPECT_TRUE(obs.unknown);
    EXPECT_FALSE(observation_of({.up = true}, false).unknown);
    eval::TargetState const up{.status = eval::Status::up};
    std::vector<Destination> const dests{Destination{}};
    auto const step = process(web, up, obs, {}, at(1), dests);
    EXPECT_EQ(step.state.status, eval::Status::up);
    EXPECT_FALSE(step.announced());
}

TEST(PipelineTest, ReminderUsesTheDestinationsReminderTemplate) {
    eval::Event e{
        .kind = eval::EventKind::down, .key = "h:1", .host = "h", .port = 1, .reminder = true};
    std::vector<Destination> const dests{
        Destination{.templates = {.reminder_bare = "{key} still down"}}};
    eval::TargetState const down{.status = eval::Status::down,
                                 .since = at(0),
                                 .reason = "refused",
                                 .consecutive_failures = 1};
    auto const step =
        process(config::Target{.host = "h", .port = 1}, down, observation_of(refused(), true),
                {.remind_every = std::chrono::seconds(60)}, at(3600), dests);
    ASSERT_EQ(step.entries.size(), 1u);
    EXPECT_TRUE(step.entries[0].event.reminder);
    EXPECT_EQ(step.entries[0].message, "h:1 still down");
}

TEST(ConnectivityTest, LostOnlyWhenEveryCanaryFails) {
    std::vector<probe::ProbeResult> none;
    EXPECT_FALSE(connectivity_lost(none));
    std::vector<probe::ProbeResult> all_fail{refused(), refused()};
    EXPECT_TRUE(connectivity_lost(all_fail));
    std::vector<probe::ProbeResult> one_up{refused(), {.up = true}};
    EXPECT_FALSE(connectivity_lost(one_up));
}

}  // namespace
}  // namespace portwatch::driver
