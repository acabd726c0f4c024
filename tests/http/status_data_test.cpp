// The status page's data (/api/v1/status, embedded in /): every problem whatever the limit,
// the UP list paged, filters by group and state, and bounded history reads at 50,000 targets.
#include "http/api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/fixtures.hpp"
#include "http/handler.hpp"
#include "http/url.hpp"

namespace portwatch::http {
namespace {

using nlohmann::json;
using test::http_now;

std::vector<std::string> states(StatusSelection const& sel) {
    std::vector<std::string> out;
    for (auto const* t : sel.items)
        out.push_back(state_name(t->status));
    return out;
}

StatusQuery query(std::string const& url, std::size_t fallback = 500) {
    auto q = parse_status_query(parse_url(url), fallback);
    EXPECT_TRUE(q.has_value()) << url;
    return q ? *q : StatusQuery{};
}

TEST(StatusDataTest, BarsAndSparklineStayWithTheirTarget) {
    auto const snap = test::make_snapshot();  // web up, db down (prod); new unknown (staging)
    auto history = test::make_history();
    auto const sel = select_status_targets(snap, {});
    ASSERT_EQ(states(sel), (std::vector<std::string>{"down", "unknown", "up"}));
    std::vector<StatusHistory> hs;
    for (auto const* t : sel.items)
        hs.push_back(fetch_status_history(&history, history_key(*t), http_now));
    auto const j = json::parse(render_status_data(snap, sel, hs));
    // Groups with a problem first; in a group DOWN before UP.
    ASSERT_EQ(j["groups"].size(), 2u);
    EXPECT_EQ(j["groups"][0]["name"], "prod");
    EXPECT_EQ(j["groups"][0]["targets"][0]["id"], "db");
    auto const& web = j["groups"][0]["targets"][1];
    EXPECT_EQ(web["id"], "web");
    EXPECT_EQ(web["group"], "prod");
    ASSERT_EQ(web["days"].size(), 90u);
    EXPECT_EQ(web["days"][0], nullptr);
    EXPECT_EQ(web["days"][89], hs[2].days[89].value());
    EXPECT_EQ(web["latency"].size(), 24u);
    EXPECT_EQ(j["counts"], (json{{"up", 1}, {"down", 1}, {"unknown", 1}}));
    EXPECT_EQ(j["problems"], 2);
    EXPECT_EQ(j["all_groups"], (json::parse(R"([{"name":"prod","up":1,"down":1,"unknown":0},
                                                {"name":"staging","up":0,"down":0,"unknown":1}])")));
}

TEST(StatusDataTest, EveryProblemIsShownWhateverTheLimit) {
    // 600 targets: 90 down, 30 unknown, 480 up.
    auto const snap = test::make_large_snapshot(600);
    auto const sel = select_status_targets(snap, {.limit = 10});
    EXPECT_EQ(sel.total, 600u);
    EXPECT_EQ(sel.problems, 120u);
    ASSERT_EQ(sel.items.size(), 130u);
    auto const s = states(sel);
    EXPECT_EQ(std::count(s.begin(), s.begin() + 90, "down"), 90);
    EXPECT_EQ(std::count(s.begin() + 90, s.begin() + 120, "unknown"), 30);
    EXPECT_EQ(std::count(s.begin() + 120, s.end(), "up"), 10);
    auto const j = json::parse(render_status_data(snap, sel, {}));
    EXPECT_EQ(j["shown"], 130);
    EXPECT_EQ(j["counts"]["down"], 90);
    EXPECT_EQ(j["limit"], 10);
    for (auto const& g : j["groups"]) {
        int last = 0;
        for (auto const& t : g["targets"]) {
            int const rank = t["state"] == "down" ? 0 : t["state"] == "unknown" ? 1 : 2;
            EXPECT_LE(last, rank) << g["name"];
            last = rank;
        }
    }
}

TEST(StatusDataTest, UpListIsPagedAndFiltersNarrowIt) {
    auto const snap = test::make_large_snapshot(100);  // 80 up, 15 down, 5 unknown
    auto const first = select_status_targets(snap, query("/?limit=30"));
    auto const last = select_status_targets(snap, query("/?limit=30&offset=60"));
    EXPECT_EQ(first.items.size(), 20u + 30u);
    EXPECT_EQ(last.items.size(), 20u + 20u);
    EXPECT_NE(first.items[20]->id, last.items[20]->id);

    auto const down = select_status_targets(snap, query("/?state=down"));
    EXPECT_EQ(states(down), std::vector<std::string>(15, "down"));
    EXPECT_EQ(down.counts[static_cast<int>(eval::Status::up)], 80u);  // counts ignore state=

    auto const up = select_status_targets(snap, query("/?state=UP&group=group-0&limit=3"));
    EXPECT_EQ(up.problems, 0u);
    EXPECT_EQ(states(up), std::vector<std::string>(3, "up"));
    EXPECT_EQ(up.total, 10u);
    for (auto const* t : up.items)
        EXPECT_EQ(t->group, "group-0");
    EXPECT_EQ(up.groups.size(), 10u);  // the group list is never filtered
}

TEST(StatusDataTest, QueryReadsGroupStateOffsetLimitAndLeavesThePagesOwn) {
    auto const q = query("/?group=db&state=down&offset=5&limit=7&wall=1&target=x");
    EXPECT_EQ(q.group, "db");
    EXPECT_EQ(q.state, eval::Status::down);
    EXPECT_EQ(q.offset, 5u);
    EXPECT_EQ(q.limit, 7u);
    EXPECT_EQ(query("/").limit, 500u);
    for (auto const* bad : {"/?state=broken", "/?offset=x", "/?limit=0", "/?limit=1001"})
        EXPECT_FALSE(parse_status_query(parse_url(bad), 500).has_value()) << bad;
}

TEST(StatusDataTest, FiftyThousandTargetsReadBoundedHistory) {
    // 50,000 targets, 10,000 of them problems: every problem is in the data, the UP list is
    // one page, and the history store is asked for at most 2 * limit targets.
    auto const snap = std::make_shared<Snapshot const>(test::make_large_snapshot(50000));
    test::FakeHistory history;
    HttpOptions options;
    options.status_page_targets = 200;
    Handler handler(
        options,
        {.snapshot = [&] { return snap; }, .history = &history, .now = [] { return http_now; }});
    auto const reply = handler.handle({.method = "GET", .target = "/api/v1/status"});
    ASSERT_EQ(reply.status, 200) << *reply.body;
    auto const j = json::parse(*reply.body);
    EXPECT_EQ(j["problems"], 10000);
    EXPECT_EQ(j["shown"], 10200);
    EXPECT_EQ(j["counts"]["down"], 7500);
    std::size_t down = 0;
    std::size_t with_bars = 0;
    for (auto const& g : j["groups"])
        for (auto const& t : g["targets"]) {
            down += t["state"] == "down";
            with_bars += t.contains("days") && !t["days"].empty();
        }
    EXPECT_EQ(down, 7500u);
    // Bars (from the history worker's summary, never read on this thread) only for the UP
    // page and the first 200 problems.
    EXPECT_LE(with_bars, 400u);
    // Problems without bars are small: the body grows by problems, not by targets.
    EXPECT_LT(reply.body->size(), 10000u * 400u + 400u * 1500u);
}

}  // namespace
}  // namespace portwatch::http
