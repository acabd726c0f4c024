#include "http/api.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/badge.hpp"
#include "http/fixtures.hpp"
#include "http/status_page.hpp"
#include "http/url.hpp"

namespace portwatch::http {
namespace {

using nlohmann::json;
using test::http_now;
using test::make_history;
using test::make_snapshot;

TEST(UrlTest, SplitsAndDecodes) {
    auto const u = parse_url("/api/v1/targets/a%2Fb%20c?group=prod+east&state=down&flag&x=%zz");
    EXPECT_EQ(u.path, "/api/v1/targets/a%2Fb%20c");
    EXPECT_EQ(u.segments, (std::vector<std::string>{"api", "v1", "targets", "a/b c"}));
    EXPECT_EQ(u.query.at("group"), "prod east");
    EXPECT_EQ(u.query.at("state"), "down");
    EXPECT_EQ(u.query.at("flag"), "");
    EXPECT_EQ(u.query.at("x"), "%zz");
    EXPECT_TRUE(parse_url("/").segments.empty());
    EXPECT_EQ(percent_encode("a b/ü"), "a%20b%2F%C3%BC");
}

json targets(Url const& url, std::vector<TargetHistory> const& histories = {}) {
    auto const snap = make_snapshot();
    auto q = parse_target_query(url);
    EXPECT_TRUE(q.has_value());
    auto const page = select_targets(snap, *q);
    return json::parse(render_targets(snap, *q, page, histories));
}

TEST(ApiTest, ListsTargetsWithState) {
    auto const j = targets(parse_url("/api/v1/targets"));
    EXPECT_EQ(j["total"], 3);
    EXPECT_EQ(j["next"], nullptr);
    ASSERT_EQ(j["targets"].size(), 3u);
    auto const& db = j["targets"][1];
    EXPECT_EQ(db["id"], "db");
    EXPECT_EQ(db["state"], "down");
    EXPECT_EQ(db["reason"], "refused");
    EXPECT_EQ(db["since"], "2025-06-15T11:59:00.000Z");
    EXPECT_EQ(db["since_seconds"], 60.0);
    EXPECT_EQ(db["latency_ms"], 0.2);
    EXPECT_EQ(db["uptime_percent"], nullptr);
    EXPECT_EQ(j["targets"][0]["labels"]["team"], "blue");
    EXPECT_EQ(j["targets"][2]["state"], "unknown");
    EXPECT_EQ(j["targets"][2]["since"], nullptr);
    EXPECT_EQ(j["targets"][2]["latency_ms"], nullptr);
}

TEST(ApiTest, TargetCarriesFactsOnlyWhenPresent) {
    auto snap = make_snapshot();
    auto& web = snap.targets[0];
    web.probe_success = true;
    web.cert_not_after = 1'752'580'800 + 3600;  // 30 days and an hour after http_now
    web.tls_version = "TLSv1.2";
    web.http_status = 503;
    auto q = parse_target_query(parse_url("/api/v1/targets"));
    auto const j = json::parse(render_targets(snap, *q, select_targets(snap, *q), {}));
    auto const& w = j["targets"][0];
    EXPECT_EQ(w["cert_not_after"], "2025-07-15T13:00:00.000Z");
    EXPECT_EQ(w["days_left"], 30);
    EXPECT_EQ(w["tls_version"], "TLSv1.2");
    EXPECT_EQ(w["http_status"], 503);
    EXPECT_EQ(w["probe_success"], true);
    auto const& db = j["targets"][1];
    for (auto const* key : {"cert_not_after", "days_left", "tls_version", "http_status"})
        EXPECT_FALSE(db.contains(key)) << key;
    EXPECT_EQ(db["probe_success"], nullptr);
    // The status page shows the days left too.
    auto const sel = select_status_targets(snap, {.group = "", .limit = 10});
    auto const status = json::parse(render_status_data(snap, sel, {}));
    EXPECT_EQ(status["groups"][0]["targets"][1]["id"], "web");
    EXPECT_EQ(status["groups"][0]["targets"][1]["days_left"], 30);
}

TEST(ApiTest, FiltersAndPages) {
    auto j = targets(parse_url("/api/v1/targets?group=prod&limit=1"));
    EXPECT_EQ(j["total"], 2);
    ASSERT_EQ(j["targets"].size(), 1u);
    EXPECT_EQ(j["targets"][0]["id"], "web");
    EXPECT_EQ(j["next"], "/api/v1/targets?offset=1&limit=1&group=prod");
    j = targets(parse_url("/api/v1/targets?group=prod&limit=1&offset=1"));
    EXPECT_EQ(j["targets"][0]["id"], "db");
    EXPECT_EQ(j["next"], nullptr);
    j = targets(parse_url("/api/v1/targets?state=unknown"));
    ASSERT_EQ(j["targets"].size(), 1u);
    EXPECT_EQ(j["targets"][0]["id"], "new");
    j = targets(parse_url("/api/v1/targets?offset=10"));
    EXPECT_EQ(j["total"], 3);
    EXPECT_TRUE(j["targets"].empty());
}

TEST(ApiTest, RejectsBadQueries) {
    EXPECT_FALSE(parse_target_query(parse_url("/?state=sideways")).has_value());
    EXPECT_FALSE(parse_target_query(parse_url("/?limit=0")).has_value());
    EXPECT_FALSE(parse_target_query(parse_url("/?limit=1001")).has_value());
    EXPECT_FALSE(parse_target_query(parse_url("/?offset=-1")).has_value());
    EXPECT_FALSE(parse_target_query(parse_url("/?offset=1x")).has_value());
    auto const error = json::parse(render_error(400, "bad \"x\""));
    EXPECT_EQ(error["error"]["message"], "bad \"x\"");
    EXPECT_EQ(error["error"]["code"], 400);
}

TEST(ApiTest, UptimeFromHistory) {
    auto history = make_history();
    auto const h = fetch_target_history(&history, "127.0.0.1:8080", http_now, 5);
    ASSERT_TRUE(h.available);
    auto const j = targets(parse_url("/api/v1/targets?limit=1"), {h});
    EXPECT_DOUBLE_EQ(j["targets"][0]["uptime_percent"]["24h"].get<double>(), 99.95);
    EXPECT_DOUBLE_EQ(j["targets"][0]["uptime_percent"]["30d"].get<double>(), 99.95);
    EXPECT_EQ(fetch_target_history(nullptr, "x", http_now, 5).available, false);
    history.fail = true;
    auto const failed = fetch_target_history(&history, "127.0.0.1:8080", http_now, 5);
    EXPECT_FALSE(failed.available);
    EXPECT_EQ(failed.error, "database is locked");
}

TEST(ApiTest, OneTargetWithTransitions) {
    auto const snap = make_snapshot();
    auto history = make_history();
    auto const* db = find_target(snap, "db");
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(find_target(snap, "nope"), nullptr);
    auto const h = fetch_target_history(&history, history_key(*db), http_now, 10);
    auto const j = json::parse(render_target(snap, *db, h));
    EXPECT_EQ(j["id"], "db");
    EXPECT_DOUBLE_EQ(j["uptime_percent"]["1h"].get<double>(), 90.0);
    ASSERT_EQ(j["transitions"].size(), 1u);
    EXPECT_EQ(j["transitions"][0]["from"], "up");
    EXPECT_EQ(j["transitions"][0]["to"], "down");
    EXPECT_EQ(j["transitions"][0]["reason"], "refused");
    EXPECT_EQ(j["transitions"][0]["time"], "2025-06-15T11:59:00.000Z");
}

TEST(ApiTest, EventsNameTheirTargets) {
    auto const snap = make_snapshot();
    auto const history = make_history();
    auto const j = json::parse(render_events(snap, history.all_transitions));
    ASSERT_EQ(j["events"].size(), 3u);
    EXPECT_EQ(j["events"][0]["target"], "db");
    EXPECT_EQ(j["events"][1]["target"], "web");
    EXPECT_EQ(j["events"][2]["target"], nullptr);
    EXPECT_EQ(j["events"][2]["key"], "gone:1");
}

TEST(ApiTest, InvalidUtf8IsReplacedNotThrown) {
    auto snap = make_snapshot();
    snap.targets[0].description = "bad \xff byte";
    TargetQuery q;
    auto const page = select_targets(snap, q);
    auto const j = json::parse(render_targets(snap, q, page, {}));
    EXPECT_EQ(j["targets"][0]["description"], "bad \xef\xbf\xbd byte");
}

TEST(StatusDataTest, SpreadRollupsPlacesBucketsByStart) {
    util::TimePoint const from = http_now;
    std::vector<store::Rollup> rs = {
        {.start = from + std::chrono::hours(2), .checks = 4, .failures = 1},
        {.start = from - std::chrono::hours(1), .checks = 4},  // before the range
        {.start = from + std::chrono::hours(9), .checks = 4},  // past the range
        {.start = from, .checks = 0},                          // no checks: no figure
    };
    auto const out = spread_rollups(rs, from, std::chrono::hours(1), 3, [](auto const& r) {
        return 1.0 - double(r.failures) / double(r.checks);
    });
    ASSERT_EQ(out.size(), 3u);
    EXPECT_FALSE(out[0].has_value());
    EXPECT_FALSE(out[1].has_value());
    EXPECT_DOUBLE_EQ(out[2].value(), 0.75);
}

TEST(StatusPageTest, EmbedsDataSafely) {
    std::string const data = R"({"x":"</script><script>alert(1)</script>"})";
    auto const page = render_status_page("Ops <status>", data);
    EXPECT_NE(page.find("<title>Ops &lt;status&gt;</title>"), std::string::npos);
    EXPECT_EQ(page.find("</script><script>alert"), std::string::npos);
    EXPECT_NE(page.find(R"({"x":"\u003c/script>\u003cscript>alert(1)\u003c/script>"})"),
              std::string::npos);
    EXPECT_NE(page.find("<script src=\"assets/status.js\"></script>"), std::string::npos);
    EXPECT_EQ(page.find("http://"), std::string::npos);
    EXPECT_EQ(page.find("https://"), std::string::npos);
    ASSERT_NE(find_asset("status.js"), nullptr);
    ASSERT_NE(find_asset("status.css"), nullptr);
    EXPECT_EQ(find_asset("../etc/passwd"), nullptr);
    EXPECT_NE(find_asset("status.js")->body.find("api/v1/status"), std::string::npos);
}

TEST(BadgeTest, StatusAndUptime) {
    auto const snap = make_snapshot();
    auto const up = status_badge(snap.targets[0]);
    EXPECT_TRUE(up.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    EXPECT_NE(up.find(">web</text>"), std::string::npos);
    EXPECT_NE(up.find(">up</text>"), std::string::npos);
    EXPECT_NE(up.find("#4c1"), std::string::npos);
    EXPECT_NE(status_badge(snap.targets[1]).find("#e05d44"), std::string::npos);
    EXPECT_NE(status_badge(snap.targets[2]).find(">unknown</text>"), std::string::npos);
    EXPECT_NE(uptime_badge("24h", 0.99995).find(">99.99%</text>"), std::string::npos);
    EXPECT_NE(uptime_badge("24h", 1.0).find(">100.00%</text>"), std::string::npos);
    EXPECT_NE(uptime_badge("7d", 0.9).find("#e05d44"), std::string::npos);
    EXPECT_NE(uptime_badge("30d", std::nullopt).find(">no data</text>"), std::string::npos);
    auto const esc = render_badge("<a&b>", "\"x'", "red");
    EXPECT_NE(esc.find(">&lt;a&amp;b&gt;</text>"), std::string::npos);
    EXPECT_NE(esc.find(">&quot;x&apos;</text>"), std::string::npos);
}

}  // namespace
}  // namespace portwatch::http
