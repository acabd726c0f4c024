// The daemon's API as an operator meets it: /api/v1/daemon (outbox, connectivity), events
// pages, JSON errors with a Date header, absolute-form targets, 414.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.hpp"
#include "e2e/http_support.hpp"

namespace portwatch::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(HttpApiE2eTest, DaemonViewEventsAndErrors) {
    TempDir dir;
    OpenPort open;
    auto const closed = closed_port();
    auto const port = free_port();
    auto const base = "http://127.0.0.1:" + std::to_string(port);
    dir.write("portwatch.yaml", "store: sqlite:" + (dir / "history.db").string() +
                                    "\n"
                                    "defaults: {interval: 1s, timeout: 1s, failure_threshold: 1}\n"
                                    "targets:\n"
                                    "  - {name: web, host: 127.0.0.1, port: " +
                                    std::to_string(open.port()) +
                                    "}\n"
                                    "  - {name: db, host: 127.0.0.1, port: " +
                                    std::to_string(closed) +
                                    ", group: prod, failure_threshold: 2}\n"
                                    "http: {listen: 127.0.0.1:" +
                                    std::to_string(port) + "}\n");
    Spawned daemon({portwatch_binary(), "run", "-c", (dir / "portwatch.yaml").string()},
                   dir / "daemon.log");
    // Two transitions (unknown -> up, unknown -> down), a check apart: db goes down on its
    // second failure. Within one millisecond they would be one instant, which a page never
    // splits (so `limit=1` would rightly answer both).
    ASSERT_TRUE(eventually(20s, [&] {
        auto const r = fetch(base + "/api/v1/events");
        return r.status == 200 && json::parse(r.body)["events"].size() == 2;
    })) << slurp(dir / "daemon.log");

    auto const first = json::parse(fetch(base + "/api/v1/events?limit=1").body);
    ASSERT_EQ(first["events"].size(), 1u);
    ASSERT_TRUE(first["next"].is_string()) << first;
    auto const second = json::parse(fetch(base + first["next"].get<std::string>()).body);
    ASSERT_EQ(second["events"].size(), 1u) << second;
    EXPECT_NE(second["events"][0]["target"], first["events"][0]["target"]);
    EXPECT_EQ(second["next"], nullptr);

    auto const ungrouped = json::parse(fetch(base + "/api/v1/targets?group=-").body);
    ASSERT_EQ(ungrouped["targets"].size(), 1u);
    EXPECT_EQ(ungrouped["targets"][0]["id"], "web");

    auto const d = fetch(base + "/api/v1/daemon");
    ASSERT_EQ(d.status, 200);
    auto const j = json::parse(d.body);
    EXPECT_EQ(j["connectivity"]["ok"], true);
    EXPECT_EQ(j["store_writable"], true);
    EXPECT_TRUE(j["outbox"]["destinations"].is_array());

    // Errors: JSON with their code, and a Date header on every answer.
    auto const head = run_process({"curl", "-sS", "-i", "--max-time", "10", base + "/nope"});
    EXPECT_NE(head.out.find("\r\nDate: "), std::string::npos) << head.out;
    EXPECT_NE(head.out.find(R"({"error":{"code":404,)"), std::string::npos) << head.out;
    auto const too_long = fetch(base + "/api/v1/targets?group=" + std::string(20000, 'g'));
    EXPECT_EQ(too_long.status, 414);
    EXPECT_EQ(json::parse(too_long.body)["error"]["code"], 414);
    // Absolute form, as a proxy sends it.
    auto const absolute = run_process({"curl", "-sS", "--max-time", "10", "--request-target",
                                       base + "/healthz", base + "/healthz"});
    EXPECT_EQ(absolute.out, "ok\n") << absolute.err;
    EXPECT_EQ(daemon.stop(), 0) << slurp(dir / "daemon.log");
}

}  // namespace
}  // namespace portwatch::test
