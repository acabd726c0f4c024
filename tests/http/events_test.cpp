#include "http/events.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "http/api.hpp"
#include "http/fixtures.hpp"

namespace portwatch::http {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::http_now;

TEST(EventsTest, ParsesTimes) {
    struct Case {
        char const* text;
        std::optional<util::TimePoint> want;
    };
    for (auto const& c : {
             Case{"2025-06-15T12:00:00Z", http_now},
             Case{"2025-06-15T12:00:00.250Z", http_now + 250ms},
             Case{"2025-06-15T12:00:00.5z", http_now + 500ms},
             Case{"1749988800", http_now},
             Case{"2025-06-15 12:00:00Z", std::nullopt},
             Case{"2025-06-15T12:00:00+02:00", std::nullopt},
             Case{"2025-13-15T12:00:00Z", std::nullopt},
             Case{"yesterday", std::nullopt},
             Case{"", std::nullopt},
         }) {
        EXPECT_EQ(parse_time(c.text), c.want) << c.text;
    }
    EXPECT_FALSE(parse_events_query(parse_url("/api/v1/events?since=soon")).has_value());
    EXPECT_FALSE(parse_events_query(parse_url("/api/v1/events?before=1x")).has_value());
    EXPECT_FALSE(parse_events_query(parse_url("/api/v1/events?limit=0")).has_value());
}

/// `n` transitions of "k", one per second, newest first (the newest at http_now).
test::FakeHistory history_of(std::size_t n) {
    test::FakeHistory h;
    for (std::size_t i = 0; i < n; ++i)
        h.all_transitions.push_back(
            store::Transition{.target_key = "k",
                              .from = i % 2 ? eval::Status::up : eval::Status::down,
                              .to = i % 2 ? eval::Status::down : eval::Status::up,
                              .time = http_now - std::chrono::seconds(i)});
    return h;
}

TEST(EventsTest, PagesCoverEverythingOnce) {
    auto h = history_of(250);
    EventsQuery q{.limit = 100};
    std::set<util::TimePoint> seen;
    std::size_t pages = 0;
    for (;;) {
        auto page = read_events(h, q);
        ASSERT_TRUE(page.has_value());
        ++pages;
        for (auto const& tr : page->items)
            EXPECT_TRUE(seen.insert(tr.time).second);
        if (!page->next_before)
            break;
        EXPECT_EQ(*page->next_before, page->items.back().time);
        q.before = page->next_before;
        ASSERT_LT(pages, 10u);
    }
    EXPECT_EQ(pages, 3u);
    EXPECT_EQ(seen.size(), 250u);
}

TEST(EventsTest, OneInstantIsNeverSplitAcrossPages) {
    auto h = history_of(10);
    for (std::size_t i = 1; i < 4; ++i)
        h.all_transitions[i].time = h.all_transitions[0].time;  // 4 at http_now
    auto page = read_events(h, EventsQuery{.limit = 2});
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->items.size(), 4u);
    ASSERT_TRUE(page->next_before.has_value());
    page = read_events(h, EventsQuery{.before = page->next_before, .limit = 5});
    EXPECT_EQ(page->items.size(), 5u);
    EXPECT_EQ(page->items.front().time, http_now - 4s);
    // 5 of what is left: not the last page.
    EXPECT_TRUE(page->next_before.has_value());
    page = read_events(h, EventsQuery{.before = page->next_before, .limit = 5});
    EXPECT_EQ(page->items.size(), 1u);
    EXPECT_FALSE(page->next_before.has_value());
}

TEST(EventsTest, TransitionsWithinOneMillisecondShareAPage) {
    // The store keeps microseconds, a cursor names milliseconds: two transitions 0.4 ms
    // apart in one millisecond must come on one page, or the next page would skip one.
    auto h = history_of(3);
    h.all_transitions[0].time = http_now + std::chrono::microseconds(700);
    h.all_transitions[1].time = http_now + std::chrono::microseconds(300);
    auto page = read_events(h, EventsQuery{.limit = 1});
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->items.size(), 2u);
    ASSERT_TRUE(page->next_before.has_value());
    page = read_events(h, EventsQuery{.before = page->next_before, .limit = 1});
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->items.size(), 1u);
    EXPECT_EQ(page->items.front().time, http_now - 2s);
    EXPECT_FALSE(page->next_before.has_value());
}

TEST(EventsTest, SinceAndBeforeBoundTheWindow) {
    auto h = history_of(50);
    auto const page = read_events(
        h, EventsQuery{.since = http_now - 20s, .before = http_now - 10s, .limit = 100});
    ASSERT_TRUE(page.has_value());
    ASSERT_EQ(page->items.size(), 10u);  // -10s exclusive .. -20s inclusive
    EXPECT_EQ(page->items.front().time, http_now - 11s);
    EXPECT_EQ(page->items.back().time, http_now - 20s);
    EXPECT_FALSE(page->next_before.has_value());
}

TEST(EventsTest, RenderedPageLinksTheNext) {
    auto h = history_of(5);
    auto const snap = test::make_snapshot();
    EventsQuery q{.target = "a b", .since = http_now - 1h, .limit = 2};
    auto const page = read_events(h, EventsQuery{.key = "k", .limit = 2});
    ASSERT_TRUE(page.has_value());
    auto const j = json::parse(render_events_page(snap, q, *page));
    EXPECT_EQ(j["events"].size(), 2u);
    EXPECT_EQ(j["next"],
              "/api/v1/events?before=2025-06-15T11%3A59%3A59.000Z&limit=2&since=2025-06-15T11%"
              "3A00%3A00.000Z&target=a%20b");
    auto const last = read_events(h, EventsQuery{.limit = 10});
    EXPECT_EQ(json::parse(render_events_page(snap, q, *last))["next"], nullptr);
}

TEST(ApiTest, GroupDashSelectsTargetsWithoutAGroup) {
    auto snap = test::make_snapshot();
    snap.targets.push_back(TargetView{.id = "lone", .name = "lone"});
    auto const page = select_targets(snap, *parse_target_query(parse_url("/?group=-")));
    ASSERT_EQ(page.items.size(), 1u);
    EXPECT_EQ(page.items[0]->id, "lone");
    EXPECT_EQ(select_targets(snap, *parse_target_query(parse_url("/?group="))).total, 4u);
    EXPECT_EQ(select_targets(snap, *parse_target_query(parse_url("/?group=prod"))).total, 2u);
    auto const status =
        select_status_targets(snap, *parse_status_query(parse_url("/?group=-"), 10));
    EXPECT_EQ(status.total, 1u);
}

}  // namespace
}  // namespace portwatch::http
