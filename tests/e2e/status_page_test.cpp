// The status page of the real daemon rendered by headless Chromium (issue 13 item 14): problems
// first, the summary, Korean text, filters and the per-target view in the URL, the wall
// screen, no horizontal overflow at phone width, and the stale banner once the API is gone.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

#include "e2e/e2e_support.hpp"
#include "e2e/http_support.hpp"

namespace portwatch::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

bool have_chromium() {
    return run_process({"sh", "-c", "command -v chromium"}, {.timeout = 10s}).exit_code == 0;
}

std::size_t count(std::string const& s, std::string const& needle) {
    std::size_t n = 0;
    for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1))
        ++n;
    return n;
}

/// The text of the first element that starts with `open` (tags removed).
std::string text_of(std::string const& dom, std::string const& open, std::string const& close) {
    auto const from = dom.find(open);
    if (from == std::string::npos)
        return "";
    auto const start = dom.find('>', from) + 1;
    auto const end = dom.find(close, start);
    std::string out;
    bool tag = false;
    for (char c : dom.substr(start, end - start)) {
        if (c == '<')
            tag = true;
        else if (c == '>')
            tag = false;
        else if (!tag)
            out += c;
    }
    return out;
}

/// The start tag of the first element that starts with `open` ("<body ... >").
std::string tag_of(std::string const& dom, std::string const& open) {
    auto const from = dom.find(open);
    return from == std::string::npos ? "" : dom.substr(from, dom.find('>', from) + 1 - from);
}

/// Five loopback targets (two refused in group db, three listening, one named in Korean), a
/// Korean title, HTTP on a free port: one daemon for the whole suite.
class StatusPageTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        for (int i = 0; i < 3; ++i)
            up_.push_back(std::make_unique<OpenPort>());
        http_port_ = free_port();
        std::string const targets =
            "  - {name: db, host: 127.0.0.1, port: " + std::to_string(closed_port()) +
            ", group: db, description: \"주 데이터베이스\"}\n"
            "  - {name: cache, host: 127.0.0.1, port: " +
            std::to_string(closed_port()) +
            ", group: db}\n"
            "  - {name: web, host: 127.0.0.1, port: " +
            std::to_string(up_[0]->port()) +
            ", group: prod, description: \"서울 데이터센터 웹 서버\"}\n"
            "  - {name: \"서울 api\", host: 127.0.0.1, port: " +
            std::to_string(up_[1]->port()) +
            ", group: prod}\n"
            "  - {name: edge, host: 127.0.0.1, port: " +
            std::to_string(up_[2]->port()) + ", group: edge}\n";
        dir_->write("portwatch.yaml", "store: sqlite:" + (*dir_ / "history.db").string() +
                                          "\n"
                                          "defaults: {interval: 1s, timeout: 1s, "
                                          "failure_threshold: 1, success_threshold: 1}\n"
                                          "http:\n  listen: 127.0.0.1:" +
                                          std::to_string(http_port_) +
                                          "\n  title: \"운영 현황 Ops\"\ntargets:\n" + targets);
        daemon_ =
            new Spawned({portwatch_binary(), "run", "-c", (*dir_ / "portwatch.yaml").string()},
                        *dir_ / "daemon.log");
        // Every target checked once (none UNKNOWN), so the counts are fixed from here on.
        ready_ = eventually(30s, [] {
            auto const r = fetch(base() + "/api/v1/targets");
            if (r.status != 200)
                return false;
            auto const j = json::parse(r.body);
            if (j["total"] != 5)
                return false;
            for (auto const& t : j["targets"])
                if (t["state"] == "unknown")
                    return false;
            return true;
        });
    }
    static void TearDownTestSuite() {
        delete daemon_;
        up_.clear();
        delete dir_;
    }
    void SetUp() override {
        if (!have_chromium())
            GTEST_SKIP() << "chromium is not installed (scripts/install-deps.sh installs it)";
        ASSERT_TRUE(ready_) << slurp(*dir_ / "daemon.log");
    }

    static std::string base() { return "http://127.0.0.1:" + std::to_string(http_port_); }

    /// The DOM after the page's script ran: chromium --dump-dom, bounded.
    static std::string dom(std::string const& url, std::string const& size = "1280,900",
                           std::string const& budget = "5000") {
        auto const profile = *dir_ / ("profile-" + std::to_string(++runs_));
        auto const r = run_process(
            {"chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--user-data-dir=" + profile.string(),
             "--window-size=" + size, "--virtual-time-budget=" + budget, "--dump-dom", url},
            {.timeout = 90s});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.out.find("data-ready=\"1\""), std::string::npos) << r.out;
        return r.out;
    }

    static inline TempDir* dir_ = nullptr;
    static inline std::vector<std::unique_ptr<OpenPort>> up_;
    static inline std::uint16_t http_port_ = 0;
    static inline Spawned* daemon_ = nullptr;
    static inline bool ready_ = false;
    static inline int runs_ = 0;
};

TEST_F(StatusPageTest, ProblemsFirstWithSummaryAndKoreanText) {
    auto const page = dom(base() + "/");
    EXPECT_EQ(text_of(page, "<p id=\"summary\"", "</p>"), "2 down, 3 up · 5 targets");
    // Both DOWN targets come before the first UP one.
    auto const first_up = page.find("data-state=\"up\"");
    ASSERT_NE(first_up, std::string::npos) << page;
    EXPECT_LT(page.find("<li class=\"target state-down\" data-id=\"cache\""), first_up);
    EXPECT_LT(page.find("<li class=\"target state-down\" data-id=\"db\""), first_up);
    EXPECT_EQ(count(page, "<li class=\"target state-down\""), 2u);
    EXPECT_EQ(count(page, "<li class=\"target state-up\""), 3u);
    // State in words, not by colour alone.
    EXPECT_EQ(count(page, "<span class=\"state\"><span aria-hidden=\"true\">▼ </span>DOWN</span>"),
              2u);
    // Korean title, description and name, as written.
    EXPECT_NE(page.find("<h1 id=\"title\">운영 현황 Ops</h1>"), std::string::npos);
    EXPECT_NE(page.find("<title>(2 down) 운영 현황 Ops</title>"), std::string::npos);
    EXPECT_NE(page.find("주 데이터베이스"), std::string::npos);
    EXPECT_NE(page.find("서울 데이터센터 웹 서버"), std::string::npos);
    EXPECT_NE(page.find(">서울 api</a>"), std::string::npos);
    // The daemon answers: no banner, nothing greyed out.
    EXPECT_NE(page.find("<div id=\"stale\" class=\"stale-banner\" role=\"alert\" hidden=\"\">"),
              std::string::npos);
    EXPECT_EQ(tag_of(page, "<body").find("stale"), std::string::npos);
}

TEST_F(StatusPageTest, ALimitPagesTheUpListButNeverHidesAProblem) {
    auto const page = dom(base() + "/?limit=1");
    EXPECT_EQ(count(page, "<li class=\"target state-down\""), 2u) << page;
    EXPECT_EQ(count(page, "<li class=\"target state-up\""), 1u);
    EXPECT_NE(page.find("1–1 of 3"), std::string::npos);
    EXPECT_NE(page.find("href=\"/?limit=1&amp;offset=1\">next →</a>"), std::string::npos);
    auto const next = dom(base() + "/?limit=1&offset=2");
    EXPECT_EQ(count(next, "<li class=\"target state-down\""), 2u);
    EXPECT_EQ(count(next, "<li class=\"target state-up\""), 1u);
    EXPECT_NE(next.find("3–3 of 3"), std::string::npos);
    EXPECT_NE(next.find("← previous"), std::string::npos);
}

TEST_F(StatusPageTest, FiltersComeFromTheUrl) {
    auto const down = dom(base() + "/?group=db&state=down");
    EXPECT_EQ(count(down, "<li class=\"target state-down\""), 2u) << down;
    EXPECT_EQ(down.find("data-state=\"up\""), std::string::npos);
    EXPECT_EQ(text_of(down, "<p id=\"summary\"", "</p>"),
              "2 down, 0 up · 2 targets in group db · showing down");
    EXPECT_NE(down.find("<option value=\"db\" selected=\"\">"), std::string::npos)
        << "the group select shows the filter";

    auto const prod = dom(base() + "/?group=prod");
    EXPECT_EQ(text_of(prod, "<p id=\"summary\"", "</p>"), "0 down, 2 up · 2 targets in group prod");
    EXPECT_EQ(count(prod, "<li class=\"target state-up\""), 2u);
    EXPECT_NE(prod.find("No problems"), std::string::npos);

    auto const up = dom(base() + "/?state=up");
    EXPECT_EQ(up.find("id=\"problems\""), std::string::npos);
    EXPECT_EQ(count(up, "<li class=\"target state-up\""), 3u);
}

TEST_F(StatusPageTest, TargetViewShowsTransitionsAndDetail) {
    auto const page = dom(base() + "/?target=db");
    EXPECT_NE(page.find("<article class=\"detail state-down\" data-id=\"db\""), std::string::npos)
        << page;
    EXPECT_NE(page.find("<td>UNKNOWN</td><td>DOWN</td><td>refused</td>"), std::string::npos);
    EXPECT_NE(page.find("<caption>Last 1 state changes</caption>"), std::string::npos);
    EXPECT_NE(page.find("<dt>Detail</dt><dd>connect to 127.0.0.1:"), std::string::npos);
    EXPECT_NE(page.find("<caption>Uptime</caption>"), std::string::npos);
    EXPECT_NE(page.find("<th scope=\"col\">30d</th>"), std::string::npos);
    EXPECT_NE(page.find("<dt>Latency</dt>"), std::string::npos);
    EXPECT_EQ(page.find("<li class=\"target"), std::string::npos);

    // A Korean name in the URL, percent-encoded once.
    auto const korean = dom(base() + "/?target=%EC%84%9C%EC%9A%B8%20api");
    EXPECT_NE(korean.find("<article class=\"detail state-up\" data-id=\"서울 api\""),
              std::string::npos)
        << korean;
    EXPECT_NE(korean.find("<td>UNKNOWN</td><td>UP</td>"), std::string::npos);

    auto const missing = dom(base() + "/?target=nope");
    EXPECT_NE(missing.find("No target named nope."), std::string::npos);
}

TEST_F(StatusPageTest, WallScreenShowsTilesWithoutControls) {
    auto const page = dom(base() + "/?wall=1", "1920,1080");
    EXPECT_NE(tag_of(page, "<body").find("class=\"wall\""), std::string::npos) << page;
    EXPECT_EQ(count(page, "<li class=\"tile state-down\""), 2u);
    EXPECT_EQ(count(page, "<li class=\"tile state-up\""), 3u);
    EXPECT_LT(page.find("class=\"tile state-down\""), page.find("class=\"tile state-up\""));
    EXPECT_NE(page.find("<ul class=\"tiles problems\">"), std::string::npos);
}

/// Widths measured by page_metrics.py at an exact viewport, with its screenshot.
json measure(std::string const& url, int width, int height, std::filesystem::path const& shot,
             std::filesystem::path const& profile) {
    auto const r = run_process(
        {"/usr/bin/python3", std::string(PORTWATCH_SOURCE_DIR) + "/tests/e2e/page_metrics.py",
         "chromium", url, std::to_string(width), std::to_string(height), shot.string(),
         profile.string()},
        {.timeout = 90s});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
}

TEST_F(StatusPageTest, NoHorizontalOverflowAtPhoneOrDesktopWidth) {
    auto const artifacts = std::filesystem::path(PW_ARTIFACT_DIR);
    for (auto const& [path, name] : std::vector<std::pair<std::string, std::string>>{
             {"/", "list"}, {"/?target=db", "target"}, {"/?wall=1", "wall"}}) {
        for (auto const& [w, h] : std::vector<std::pair<int, int>>{{390, 844}, {1280, 900}}) {
            auto const shot =
                artifacts / ("status-page-" + name + "-" + std::to_string(w) + ".png");
            std::filesystem::remove(shot);
            auto const m = measure(base() + path, w, h, shot, *dir_ / ("m-" + name));
            EXPECT_EQ(m.value("clientWidth", 0), w) << path;
            EXPECT_LE(m.value("scrollWidth", 1 << 20), w) << path << " overflows at " << w;
            ASSERT_TRUE(std::filesystem::exists(shot));
            EXPECT_EQ(slurp(shot).substr(1, 3), "PNG");
        }
    }
    // Chromium's own --screenshot at both window sizes (the files are kept for a look).
    for (auto const& size : {"390,844", "1280,900"}) {
        auto const shot = artifacts / (std::string("status-page-shot-") + size[0] + ".png");
        std::filesystem::remove(shot);
        auto const r =
            run_process({"chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                         "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars",
                         "--user-data-dir=" + (*dir_ / "profile-shot").string(),
                         std::string("--window-size=") + size, "--virtual-time-budget=5000",
                         "--screenshot=" + shot.string(), base() + "/"},
                        {.timeout = 90s});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_GT(std::filesystem::file_size(shot), 5000u);
    }
}

/// The page and its assets as the daemon served them, written where a plain file server
/// (standing in for a daemon that no longer answers its API) serves them.
void copy_page(std::string const& from, std::filesystem::path const& root) {
    std::filesystem::create_directories(root / "assets");
    for (auto const& [url, file] : std::vector<std::pair<std::string, std::string>>{
             {"/", "index.html"},
             {"/assets/status.css", "assets/status.css"},
             {"/assets/status.js", "assets/status.js"}}) {
        auto const r = fetch(from + url);
        ASSERT_EQ(r.status, 200) << url;
        std::ofstream(root / file) << r.body;
    }
}

TEST_F(StatusPageTest, StaleBannerWhenTheDaemonStopsAnswering) {
    auto const root = *dir_ / "www";
    copy_page(base(), root);
    auto const port = free_port();
    Spawned server({"/usr/bin/python3", "-m", "http.server", std::to_string(port), "--bind",
                    "127.0.0.1", "--directory", root.string()},
                   *dir_ / "static.log");
    auto const url = "http://127.0.0.1:" + std::to_string(port) + "/";
    ASSERT_TRUE(eventually(20s, [&] { return fetch(url).status == 200; }));

    // No API behind the page (404): the refresh fails, the banner says so, nothing stays green.
    auto const gone = dom(url, "1280,900", "20000");
    EXPECT_EQ(gone.find("<div id=\"stale\" class=\"stale-banner\" role=\"alert\" hidden"),
              std::string::npos)
        << gone;
    EXPECT_NE(text_of(gone, "<div id=\"stale\"", "</div>")
                  .find("Not current: the daemon has not answered since"),
              std::string::npos)
        << gone;
    EXPECT_NE(tag_of(gone, "<body").find("class=\"stale\""), std::string::npos);

    // The API answers, but with a snapshot of long ago (a daemon whose loop stopped).
    auto old = json::parse(fetch(base() + "/api/v1/status").body);
    old["taken"] = "2020-01-01T00:00:00.000Z";
    std::filesystem::create_directories(root / "api" / "v1");
    std::ofstream(root / "api" / "v1" / "status") << old.dump();
    auto const stale = dom(url, "1280,900", "20000");
    EXPECT_NE(
        text_of(stale, "<div id=\"stale\"", "</div>").find("Not current: the daemon's data is"),
        std::string::npos)
        << stale;
    EXPECT_NE(stale.find("2020-01-01 00:00:00 UTC"), std::string::npos);
    EXPECT_NE(tag_of(stale, "<body").find("class=\"stale\""), std::string::npos);
}

/// /api/v1/status as the daemon answers it for 50,000 targets, 2,000 down and 100 unknown:
/// every problem and one page of 500 UP (the selection itself: status_data_test.cpp).
json large_status() {
    auto const now = std::chrono::system_clock::now();
    auto const secs = std::chrono::system_clock::to_time_t(now);
    char taken[32];
    std::strftime(taken, sizeof taken, "%Y-%m-%dT%H:%M:%S.000Z", std::gmtime(&secs));
    json groups = json::array();
    auto add = [&](std::string const& state, int i) {
        auto const group = "g" + std::to_string(i % 10);
        if (groups.empty() || groups.back()["name"] != group)
            groups.push_back({{"name", group}, {"targets", json::array()}});
        groups.back()["targets"].push_back({{"id", state + std::to_string(i)},
                                            {"name", state + std::to_string(i)},
                                            {"address", "10.0.0.1:" + std::to_string(i)},
                                            {"description", "서버"},
                                            {"group", group},
                                            {"state", state},
                                            {"since", taken},
                                            {"reason", state == "down" ? "refused" : ""},
                                            {"latency_ms", 0.5},
                                            {"days", json::array()},
                                            {"latency", json::array()}});
    };
    for (int i = 0; i < 2000; ++i)
        add("down", i);
    for (int i = 0; i < 100; ++i)
        add("unknown", i);
    for (int i = 0; i < 500; ++i)
        add("up", i);
    return {{"taken", taken},
            {"version", "test"},
            {"counts", {{"up", 47900}, {"down", 2000}, {"unknown", 100}}},
            {"total", 50000},
            {"shown", 2600},
            {"problems", 2100},
            {"offset", 0},
            {"limit", 500},
            {"groups", groups},
            {"all_groups", json::array()}};
}

TEST_F(StatusPageTest, FiftyThousandTargetsRenderEveryProblemAndOnePageOfUp) {
    auto const root = *dir_ / "www-large";
    copy_page(base(), root);
    std::filesystem::create_directories(root / "api" / "v1");
    std::ofstream(root / "api" / "v1" / "status") << large_status().dump();
    auto const port = free_port();
    Spawned server({"/usr/bin/python3", "-m", "http.server", std::to_string(port), "--bind",
                    "127.0.0.1", "--directory", root.string()},
                   *dir_ / "static-large.log");
    auto const url = "http://127.0.0.1:" + std::to_string(port) + "/";
    ASSERT_TRUE(eventually(20s, [&] { return fetch(url).status == 200; }));
    // The first refresh (after 15 s of virtual time) brings the large answer.
    auto const page = dom(url, "1280,900", "25000");
    EXPECT_EQ(text_of(page, "<p id=\"summary\"", "</p>"),
              "2000 down, 100 unknown, 47900 up · 50000 targets");
    EXPECT_EQ(count(page, "<li class=\"target state-down\""), 2000u);
    EXPECT_EQ(count(page, "<li class=\"target state-unknown\""), 100u);
    EXPECT_EQ(count(page, "<li class=\"target state-up\""), 500u);
    EXPECT_LT(page.find("state-unknown"), page.find("<li class=\"target state-up\""));
    EXPECT_LT(page.find("state-down"), page.find("state-unknown"));
    EXPECT_NE(page.find("1–500 of 47900"), std::string::npos);
    EXPECT_NE(page.find("offset=500\">next →</a>"), std::string::npos);
    EXPECT_EQ(tag_of(page, "<body").find("stale"), std::string::npos);
}

}  // namespace
}  // namespace portwatch::test
