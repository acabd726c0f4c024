// Target ids of the real daemon (issue 13 item 1): the id is the target's name, a URL carries
// it percent-encoded once, and the API, badges, the event filter and metric labels agree, for
// names with ':', '/', spaces and Korean.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "e2e/e2e_support.hpp"
#include "e2e/http_support.hpp"

namespace portwatch::test {
namespace {

using nlohmann::json;

/// RFC 3986 path segment encoding of every byte outside the unreserved set.
std::string encode(std::string_view s) {
    static char const digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        auto const b = static_cast<unsigned char>(c);
        if (std::isalnum(b) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += digits[b >> 4];
            out += digits[b & 15];
        }
    }
    return out;
}

class HttpIdsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        http_port_ = free_port();
        plain_ = "127.0.0.1:" + std::to_string(ports_[0].port());
        std::string yaml = "store: sqlite:" + (dir_ / "history.db").string() +
                           "\ndefaults: {interval: 1s, timeout: 1s, failure_threshold: 1, "
                           "success_threshold: 1}\ntargets:\n";
        // The first has no name: its name (and id) is HOST:PORT.
        yaml += "  - {host: 127.0.0.1, port: " + std::to_string(ports_[0].port()) + "}\n";
        for (std::size_t i = 1; i < names_.size(); ++i)
            yaml += "  - {name: \"" + names_[i] +
                    "\", host: 127.0.0.1, port: " + std::to_string(ports_[i].port()) + "}\n";
        yaml += "http: {listen: \"127.0.0.1:" + std::to_string(http_port_) + "\"}\n";
        dir_.write("portwatch.yaml", yaml);
        names_[0] = plain_;
        daemon_ =
            std::make_unique<Spawned>(std::vector<std::string>{portwatch_binary(), "run", "-c",
                                                               (dir_ / "portwatch.yaml").string()},
                                      dir_ / "daemon.log");
        ASSERT_TRUE(eventually(20s, [&] {
            auto const r = fetch(base() + "/api/v1/targets");
            if (r.status != 200)
                return false;
            auto const j = json::parse(r.body);
            if (j["total"] != names_.size())
                return false;
            for (auto const& t : j["targets"])
                if (t["state"] != "up")
                    return false;
            return true;
        })) << slurp(dir_ / "daemon.log");
    }

    void TearDown() override {
        if (daemon_) {
            EXPECT_EQ(daemon_->stop(), 0) << slurp(dir_ / "daemon.log");
        }
    }

    std::string base() const { return "http://127.0.0.1:" + std::to_string(http_port_); }

    TempDir dir_;
    OpenPort ports_[4];
    std::vector<std::string> names_ = {"", "a/b", "with space", "서울 서버:1"};
    std::string plain_;
    std::uint16_t http_port_ = 0;
    std::unique_ptr<Spawned> daemon_;
};

TEST_F(HttpIdsTest, IdIsTheNameEncodedOnceEverywhere) {
    auto const list = json::parse(fetch(base() + "/api/v1/targets").body);
    std::set<std::string> ids;
    for (auto const& t : list["targets"]) {
        EXPECT_EQ(t["id"], t["name"]);
        ids.insert(t["id"].get<std::string>());
    }
    EXPECT_EQ(ids, std::set<std::string>(names_.begin(), names_.end()));

    auto const metrics = fetch(base() + "/metrics").body;
    for (auto const& name : names_) {
        SCOPED_TRACE(name);
        auto const one = fetch(base() + "/api/v1/targets/" + encode(name));
        ASSERT_EQ(one.status, 200) << one.body;
        EXPECT_EQ(json::parse(one.body)["id"], name);
        EXPECT_EQ(fetch(base() + "/badge/" + encode(name) + "/status.svg").status, 200);
        EXPECT_EQ(fetch(base() + "/badge/" + encode(name) + "/uptime/24h.svg").status, 200);
        auto const events = fetch(base() + "/api/v1/events?target=" + encode(name));
        EXPECT_EQ(events.status, 200) << events.body;
        EXPECT_NE(metrics.find("portwatch_target_up{target=\"" + name + "\""), std::string::npos);
    }
    // ':' is allowed in a path segment: the raw form names the same target.
    auto const raw = fetch(base() + "/api/v1/targets/" + plain_);
    ASSERT_EQ(raw.status, 200) << raw.body;
    EXPECT_EQ(json::parse(raw.body)["id"], plain_);
    // Encoded twice is another name, not this one.
    EXPECT_EQ(fetch(base() + "/api/v1/targets/" + encode(encode(plain_))).status, 404);
}

}  // namespace
}  // namespace portwatch::test
