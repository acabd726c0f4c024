// The HTTP surface of the real daemon: `portwatch run` with an http: section, scraped with
// curl and promtool and by a real Prometheus (the status page in Chromium: status_page_test.cpp).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "e2e/e2e_support.hpp"
#include "e2e/http_support.hpp"

namespace portwatch::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

/// The daemon with two loopback targets (one up, one refused) and HTTP on a free port.
class HttpE2eTest : public ::testing::Test {
  protected:
    void SetUp() override {
        http_port_ = free_port();
        dir_.write("portwatch.yaml", fmt_config());
        daemon_ =
            std::make_unique<Spawned>(std::vector<std::string>{portwatch_binary(), "run", "-c",
                                                               (dir_ / "portwatch.yaml").string()},
                                      dir_ / "daemon.log");
        ASSERT_TRUE(eventually(20s, [&] { return fetch(base() + "/readyz").status == 200; }))
            << slurp(dir_ / "daemon.log");
        // Both targets checked at least once.
        ASSERT_TRUE(eventually(20s,
                               [&] {
                                   auto const r = fetch(base() + "/api/v1/targets");
                                   if (r.status != 200)
                                       return false;
                                   auto const j = json::parse(r.body);
                                   return j["total"] == 2 &&
                                          j["targets"][0]["state"] != "unknown" &&
                                          j["targets"][1]["state"] != "unknown";
                               }))
            << fetch(base() + "/api/v1/targets").body << slurp(dir_ / "daemon.log");
    }

    void TearDown() override {
        if (daemon_) {
            EXPECT_EQ(daemon_->stop(), 0) << slurp(dir_ / "daemon.log");
        }
    }

    std::string fmt_config() const {
        return "store: sqlite:" + (dir_ / "history.db").string() +
               "\n"
               "defaults: {interval: 1s, timeout: 1s, failure_threshold: 1, "
               "success_threshold: 1}\n"
               "targets:\n"
               "  - {name: web, host: 127.0.0.1, port: " +
               std::to_string(open_.port()) +
               ", group: prod, labels: {team: \"blue \\\"b\\\"\"}}\n"
               "  - {name: db, host: 127.0.0.1, port: " +
               std::to_string(closed_) +
               ", group: prod}\n"
               "http:\n"
               "  listen: 127.0.0.1:" +
               std::to_string(http_port_) + "\n";
    }

    std::string base() const { return "http://127.0.0.1:" + std::to_string(http_port_); }

    TempDir dir_;
    OpenPort open_;
    std::uint16_t closed_ = closed_port();
    std::uint16_t http_port_ = 0;
    std::unique_ptr<Spawned> daemon_;
};

TEST_F(HttpE2eTest, MetricsPassPromtool) {
    auto const r = fetch(base() + "/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("portwatch_target_up{target=\"web\""), std::string::npos) << r.body;
    dir_.write("metrics.txt", r.body);
    auto const check = run_process(
        {"sh", "-c", "promtool check metrics < \"$0\"", (dir_ / "metrics.txt").string()});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_EQ(check.out + check.err, "");

    auto const om = fetch(base() + "/metrics", {"Accept: application/openmetrics-text"});
    EXPECT_TRUE(om.body.ends_with("# EOF\n"));
    auto const t = json::parse(fetch(base() + "/api/v1/targets/db").body);
    EXPECT_EQ(t["state"], "down");
    EXPECT_EQ(t["reason"], "refused");
    // The daemon fills the last check's raw outcome; a plain tcp check has no facts.
    EXPECT_EQ(t["probe_success"], false);
    EXPECT_FALSE(t.contains("cert_not_after"));
    EXPECT_FALSE(t.contains("http_status"));
    EXPECT_NE(r.body.find("portwatch_probe_success{target=\"web\""), std::string::npos);
    EXPECT_EQ(r.body.find("portwatch_cert_not_after_seconds{"), std::string::npos);
    EXPECT_EQ(fetch(base() + "/badge/web/status.svg").status, 200);
}

TEST_F(HttpE2eTest, PrometheusScrapesTheDaemon) {
    auto const prom_port = free_port();
    dir_.write("prometheus.yml",
               "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
               "scrape_configs:\n"
               "  - job_name: portwatch\n"
               "    static_configs: [{targets: ['127.0.0.1:" +
                   std::to_string(http_port_) + "']}]\n");
    std::filesystem::create_directories(dir_ / "tsdb");
    Spawned prom({"prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
                  "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                  "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                 dir_ / "prometheus.log");
    std::string const query =
        "http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/query?query=portwatch_target_up";
    json result;
    bool const answered = eventually(60s, [&] {
        auto const r = fetch(query);
        if (r.status != 200)
            return false;
        result = json::parse(r.body);
        return result["status"] == "success" && result["data"]["result"].size() == 2;
    });
    ASSERT_TRUE(answered) << result.dump() << slurp(dir_ / "prometheus.log");
    std::map<std::string, std::string> up;
    for (auto const& s : result["data"]["result"]) {
        up[s["metric"]["target"]] = s["value"][1];
        EXPECT_EQ(s["metric"]["group"], "prod");
        EXPECT_EQ(s["metric"]["job"], "portwatch");
    }
    EXPECT_EQ(up["web"], "1");
    EXPECT_EQ(up["db"], "0");
    // The scrape itself was healthy (OpenMetrics negotiated by Prometheus).
    auto const health = json::parse(
        fetch("http://127.0.0.1:" + std::to_string(prom_port) + "/api/v1/query?query=up").body);
    ASSERT_EQ(health["data"]["result"].size(), 1u);
    EXPECT_EQ(health["data"]["result"][0]["value"][1], "1");
}

}  // namespace
}  // namespace portwatch::test
