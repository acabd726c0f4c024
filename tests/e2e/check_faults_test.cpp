// `portwatch check` when things go wrong: notifier failures, concurrent runs, bad files.
#include <sys/resource.h>

#include <future>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.hpp"

namespace portwatch::test {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

std::size_t outbox_size(SeedDir const& dir) {
    return json::parse(dir.read("port_check_status.json"))["_portwatch"]["outbox"].size();
}

TEST(CheckFaults, FailingNotifierKeepsEventAndNextRunDeliversOriginalText) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", closed_port()));
    dir.notifier("import sys\nsys.exit(1)");
    auto const r1 = dir.check();
    EXPECT_EQ(r1.exit_code, 3) << r1.out << r1.err;
    EXPECT_NE(r1.err.find("exit status 1"), std::string::npos) << r1.err;
    EXPECT_EQ(outbox_size(dir), 1u);
    auto const pending = json::parse(dir.read("port_check_status.json"))["_portwatch"]["outbox"][0];
    std::string const text = pending["message"];

    dir.notifier("");  // fixed; backoff says wait 60 s, so ask for no wait via --max-age? no:
    // the retry is due only after the backoff; pretend time passed by rewriting next_attempt.
    auto state = json::parse(dir.read("port_check_status.json"));
    state["_portwatch"]["outbox"][0]["next_attempt"] = 0;
    dir.write("port_check_status.json", state.dump(4));
    std::this_thread::sleep_for(1100ms);  // a later second, so a re-render would differ
    auto const r2 = dir.check();
    EXPECT_EQ(r2.exit_code, 0) << r2.err;
    ASSERT_EQ(dir.messages(), std::vector<std::string>{text});
    EXPECT_EQ(outbox_size(dir), 0u);
}

// Issue 12 item 8: the very next run retries a message that failed once, whatever its
// backoff; from the second failure on, the backoff holds and the run says when it is due.
TEST(CheckFaults, NextRunRetriesOnceThenBackoffHolds) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", closed_port()));
    dir.notifier("import sys\nsys.exit(1)");
    auto const first = dir.check();
    EXPECT_EQ(first.exit_code, 3);
    EXPECT_NE(first.err.find("next due on the next run"), std::string::npos) << first.err;
    auto const second = dir.check();  // retried at once, fails again
    EXPECT_EQ(second.exit_code, 3);
    EXPECT_NE(second.err.find("NOTIFY failed"), std::string::npos) << second.err;
    EXPECT_NE(second.err.find("next due from "), std::string::npos) << second.err;
    dir.notifier("");
    auto const third = dir.check();
    EXPECT_EQ(third.exit_code, 3);  // the backoff of the second failure holds
    EXPECT_TRUE(dir.calls().empty());
}

TEST(CheckFaults, FixedNotifierDeliversOnTheVeryNextRun) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", closed_port()));
    dir.notifier("import sys\nsys.exit(1)");
    EXPECT_EQ(dir.check().exit_code, 3);
    dir.notifier("");
    auto const r = dir.check();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(dir.calls().size(), 1u);
}

TEST(CheckFaults, HungNotifierIsKilledAtTimeout) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", closed_port()));
    dir.notifier("import time\ntime.sleep(60)");
    auto const r = dir.check({"--notify-timeout", "0.5"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_LT(r.elapsed, 10s);
    EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
    EXPECT_EQ(outbox_size(dir), 1u);
    EXPECT_TRUE(dir.calls().empty());
}

TEST(CheckFaults, MissingNotifierKeepsEvent) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", closed_port()));
    fs::remove(dir / "push_msg.py");
    auto const r = dir.check();
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("push_msg.py"), std::string::npos) << r.err;
    EXPECT_EQ(outbox_size(dir), 1u);
}

TEST(CheckFaults, ConcurrentRunsAreSerialisedWithNoLostOrDoubledEvent) {
    SeedDir dir;
    std::string list;
    auto const closed = closed_port();
    for (int i = 1; i <= 20; ++i)
        list += fmt::format("127.0.1.{} {} T{}\n", i, closed, i);
    dir.list(list);
    dir.notifier("import time\ntime.sleep(0.05)");
    auto a = std::async(std::launch::async, [&] { return dir.check(); });
    auto b = std::async(std::launch::async, [&] { return dir.check(); });
    EXPECT_EQ(a.get().exit_code, 0);
    EXPECT_EQ(b.get().exit_code, 0);
    auto msgs = dir.messages();
    EXPECT_EQ(msgs.size(), 20u);
    std::sort(msgs.begin(), msgs.end());
    EXPECT_EQ(std::unique(msgs.begin(), msgs.end()), msgs.end());
}

TEST(CheckFaults, LockTimeoutIsAClearError) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", closed_port()));
    dir.notifier("import time\ntime.sleep(3)");
    auto a = std::async(std::launch::async, [&] { return dir.check(); });
    std::this_thread::sleep_for(700ms);
    auto const b = dir.check({"--lock-timeout", "0.2"});
    EXPECT_EQ(b.exit_code, 5);
    EXPECT_NE(b.err.find("another portwatch run"), std::string::npos) << b.err;
    EXPECT_EQ(a.get().exit_code, 0);
}

TEST(CheckFaults, CorruptStateSetAsideLoudly) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", closed_port()));
    dir.write("port_check_status.json", "{ this is not json");
    auto const r = dir.check();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("moved it to"), std::string::npos) << r.err;
    bool aside = false;
    for (auto const& e : fs::directory_iterator(dir.path())) {
        aside |= e.path().filename().string().rfind("port_check_status.json.corrupt-", 0) == 0;
    }
    EXPECT_TRUE(aside);
    EXPECT_EQ(dir.calls().size(), 1u);
}

TEST(CheckFaults, MissingListLeavesStateUntouched) {
    SeedDir dir;
    dir.write("port_check_status.json", "{\"a:1\": \"UP\"}");
    auto const r = dir.check();
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_NE(r.err.find("port_check.lst"), std::string::npos) << r.err;
    EXPECT_EQ(dir.read("port_check_status.json"), "{\"a:1\": \"UP\"}");
}

TEST(CheckFaults, StateFileThatIsADirectory) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", closed_port()));
    fs::create_directory(dir / "port_check_status.json");
    auto const r = dir.check();
    EXPECT_EQ(r.exit_code, 6);
    EXPECT_NE(r.err.find("directory"), std::string::npos) << r.err;
    EXPECT_TRUE(dir.calls().empty());
}

TEST(CheckFaults, TwoThousandTargetsInOneTimeout) {
    SeedDir dir;
    // 1,600 listeners on 127.0.0.1 (a wildcard listener would not be loopback-only).
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    std::vector<std::unique_ptr<OpenPort>> open;
    std::string list;
    for (int i = 0; i < 1600; ++i) {
        open.push_back(std::make_unique<OpenPort>());
        list += fmt::format("127.0.0.1 {} up{}\n", open.back()->port(), i);
    }
    auto const closed = closed_port();
    for (int i = 0; i < 400; ++i)
        list += fmt::format("127.0.{}.{} {} down{}\n", 2 + i / 200, 1 + i % 200, closed, i);
    dir.list(list);
    auto const r = dir.check({"--notify-cmd", "true", "--timeout", "5"}, {.timeout = 60s});
    EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);
    EXPECT_LT(r.elapsed, 30s);  // sanity only; speed is measured in bench/
    auto const state = json::parse(dir.read("port_check_status.json"));
    int ups = 0;
    int downs = 0;
    for (auto const& [k, v] : state.items()) {
        if (v == "UP")
            ++ups;
        if (v == "DOWN")
            ++downs;
    }
    EXPECT_EQ(ups, 1600);
    EXPECT_EQ(downs, 400);
}

}  // namespace
}  // namespace portwatch::test
