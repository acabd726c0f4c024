// `portwatch check` end to end: the built binary, a seed directory, real loopback sockets.
#include <sys/stat.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.hpp"
#include "support/listener.hpp"

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string const down = " \xEC\x9E\xA5\xEC\x95\xA0 ";  // " 장애 "
std::string const up = " \xEB\xB3\xB5\xEA\xB5\xAC ";    // " 복구 "

TEST(Check, FirstRunAnnouncesDownTargetsOnlyAndWritesSeedState) {
    SeedDir dir;
    OpenPort open;
    auto const closed = closed_port();
    dir.list(fmt::format("# Host Port Description\n127.0.0.1 {} Web   Server\n127.0.0.1 {} My DB\n",
                         open.port(), closed));
    auto const r = dir.check();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto const calls = dir.calls();
    ASSERT_EQ(calls.size(), 1u) << r.out;
    ASSERT_EQ(calls[0].args.size(), 1u);
    EXPECT_TRUE(
        has_seed_time_suffix(calls[0].args[0], fmt::format("My DB (127.0.0.1:{}){}", closed, down)))
        << calls[0].args[0];
    EXPECT_EQ(calls[0].event, "down");
    EXPECT_EQ(calls[0].host, "127.0.0.1");
    EXPECT_EQ(calls[0].reason, "refused");

    auto const state = json::parse(dir.read("port_check_status.json"));
    EXPECT_EQ(state[fmt::format("127.0.0.1:{}", open.port())], "UP");
    EXPECT_EQ(state[fmt::format("127.0.0.1:{}", closed)], "DOWN");
    EXPECT_TRUE(state["_portwatch"]["outbox"].empty());
    EXPECT_NE(r.out.find("UP   127.0.0.1:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("refused"), std::string::npos);
}

TEST(Check, NoChangeNoCallThenRecoveryAndFailure) {
    SeedDir dir;
    OpenPort a;
    OpenPort b;
    dir.list(fmt::format("127.0.0.1 {} A\n127.0.0.1 {}\n", a.port(), b.port()));
    ASSERT_EQ(dir.check().exit_code, 0);
    ASSERT_EQ(dir.check().exit_code, 0);
    EXPECT_TRUE(dir.calls().empty());
    a.close();
    b.close();
    ASSERT_EQ(dir.check().exit_code, 0);
    auto msgs = dir.messages();
    ASSERT_EQ(msgs.size(), 2u);
    std::sort(msgs.begin(), msgs.end());  // delivered concurrently: any order
    EXPECT_TRUE(has_seed_time_suffix(msgs[1], fmt::format("A (127.0.0.1:{}){}", a.port(), down)))
        << msgs[1];
    EXPECT_TRUE(has_seed_time_suffix(msgs[0], fmt::format("127.0.0.1:{}{}", b.port(), down)))
        << msgs[0];
    // Still down on the next run: no new call.
    ASSERT_EQ(dir.check().exit_code, 0);
    EXPECT_EQ(dir.calls().size(), 2u);
}

TEST(Check, RecoveryMessage) {
    SeedDir dir;
    OpenPort listener;
    dir.list(fmt::format("127.0.0.1 {} Svc\n", listener.port()));
    dir.write("port_check_status.json",
              fmt::format("{{\n    \"127.0.0.1:{}\": \"DOWN\"\n}}", listener.port()));
    ASSERT_EQ(dir.check().exit_code, 0);
    auto const calls = dir.calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_TRUE(has_seed_time_suffix(calls[0].args[0],
                                     fmt::format("Svc (127.0.0.1:{}){}", listener.port(), up)));
    EXPECT_EQ(calls[0].event, "up");
}

TEST(Check, OriginalStateFileGivesNoAlert) {
    SeedDir dir;
    OpenPort open;
    auto const closed = closed_port();
    dir.list(fmt::format("127.0.0.1 {} A\n127.0.0.1 {} B\n", open.port(), closed));
    // Exactly what the seed script writes (json.dump indent=4, no trailing newline).
    dir.write("port_check_status.json",
              fmt::format("{{\n    \"127.0.0.1:{}\": \"UP\",\n    \"127.0.0.1:{}\": \"DOWN\"\n}}",
                          open.port(), closed));
    auto const r = dir.check();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(dir.calls().empty());
}

TEST(Check, NotifyFirstUpRestoresSeedBehaviour) {
    SeedDir dir;
    OpenPort open;
    dir.list(fmt::format("127.0.0.1 {} A\n", open.port()));
    ASSERT_EQ(dir.check({"--notify-first-up"}).exit_code, 0);
    auto const msgs = dir.messages();
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_TRUE(has_seed_time_suffix(msgs[0], fmt::format("A (127.0.0.1:{}){}", open.port(), up)));
}

TEST(Check, RemovedTargetDroppedWithoutNotification) {
    SeedDir dir;
    OpenPort a;
    OpenPort b;
    dir.list(fmt::format("127.0.0.1 {}\n127.0.0.1 {}\n", a.port(), b.port()));
    ASSERT_EQ(dir.check().exit_code, 0);
    dir.list(fmt::format("127.0.0.1 {}\n", a.port()));
    b.close();
    ASSERT_EQ(dir.check().exit_code, 0);
    auto const state = json::parse(dir.read("port_check_status.json"));
    EXPECT_FALSE(state.contains(fmt::format("127.0.0.1:{}", b.port())));
    EXPECT_TRUE(state.contains(fmt::format("127.0.0.1:{}", a.port())));
    EXPECT_TRUE(dir.calls().empty());
}

TEST(Check, Ipv6HostsAsWritten) {
    SeedDir dir;
    try {
        OpenPort probe6(true);
    } catch (std::exception const&) {
        GTEST_SKIP() << "IPv6 loopback unavailable on this machine";
    }
    ClosedPort const closed("::1");
    auto const closed6 = closed.port();
    dir.list(fmt::format("::1 {} Six\n[::1] {}\n", closed6, closed6));
    auto const r = dir.check();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto msgs = dir.messages();
    ASSERT_EQ(msgs.size(), 2u);
    std::sort(msgs.begin(), msgs.end());  // delivered concurrently: any order
    EXPECT_TRUE(has_seed_time_suffix(msgs[0], fmt::format("Six (::1:{}){}", closed6, down)))
        << msgs[0];
    EXPECT_TRUE(has_seed_time_suffix(msgs[1], fmt::format("[::1]:{}{}", closed6, down))) << msgs[1];
    OpenPort open6(true);
    dir.list(fmt::format("[::1] {} V6\n", open6.port()));
    auto const r2 = dir.check({"--json"});
    auto const report = json::parse(r2.out);
    EXPECT_EQ(report["targets"][0]["status"], "UP");
    EXPECT_EQ(report["targets"][0]["address"], "::1");
}

TEST(Check, HostileDescriptionsAreData) {
    SeedDir dir;
    auto const closed = closed_port();
    fs::path const canary = dir / "pwned";
    std::vector<std::string> const descriptions = {"$(touch " + canary.string() + ")",
                                                   "`touch " + canary.string() + "`",
                                                   "; touch " + canary.string(),
                                                   "'quoted' \"double\" \\back",
                                                   "tab\there",
                                                   "bad\xff\xfe utf8",
                                                   "{host} %s %n"};
    std::string list;
    for (std::size_t i = 0; i < descriptions.size(); ++i) {
        list += fmt::format("127.0.0.{} {} {}\n", i + 1, closed, descriptions[i]);
    }
    dir.list(list);
    auto const r = dir.check();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(canary));
    auto msgs = dir.messages();
    ASSERT_EQ(msgs.size(), descriptions.size());
    std::sort(msgs.begin(), msgs.end());
    for (std::size_t i = 0; i < descriptions.size(); ++i) {
        // "tab\there" is two fields on the line, joined by one space, as the seed does.
        std::string expected = descriptions[i] == "tab\there" ? "tab here" : descriptions[i];
        auto const prefix = fmt::format("{} (127.0.0.{}:{}){}", expected, i + 1, closed, down);
        EXPECT_EQ(std::count_if(msgs.begin(), msgs.end(),
                                [&](auto const& m) { return has_seed_time_suffix(m, prefix); }),
                  1)
            << prefix;
    }
}

TEST(Check, WorksFromAnyDirectoryWithMinusC) {
    SeedDir dir;
    auto const closed = closed_port();
    dir.list(fmt::format("127.0.0.1 {} X\n", closed));
    auto const r = run_portwatch({"-C", dir.path().string(), "check"}, {.cwd = "/"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(dir.calls().size(), 1u);
    EXPECT_TRUE(fs::exists(dir / "port_check_status.json"));
}

TEST(Check, DryRunWritesAndNotifiesNothing) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} X\n", closed_port()));
    auto const r = dir.check({"--dry-run"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(dir.calls().empty());
    EXPECT_FALSE(fs::exists(dir / "port_check_status.json"));
    EXPECT_NE(r.out.find("dry run"), std::string::npos);
}

TEST(Check, NotifyCmdReplacesPushMsg) {
    SeedDir dir;
    dir.list(fmt::format("127.0.0.1 {} X\n", closed_port()));
    dir.write("other.py", "import sys\nopen(sys.argv[1], 'w').write(sys.argv[2])\n");
    auto const out = (dir / "out.txt").string();
    auto const r = dir.check({"--notify-cmd", "python3 other.py '" + out + "'"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(dir.calls().empty());
    EXPECT_NE(dir.read("out.txt").find(down), std::string::npos);
}

TEST(Check, BadLinesReportedOthersChecked) {
    SeedDir dir;
    auto const closed = closed_port();
    dir.list(fmt::format("127.0.0.1 {} Good\nbadhost\nh notaport\n", closed));
    auto const r = dir.check();
    EXPECT_EQ(r.exit_code, 2);
    std::string const list = "port_check.lst";  // as the run names it (relative to -C)
    EXPECT_NE(r.err.find(list + ":2: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(list + ":3: bad port 'notaport'"), std::string::npos) << r.err;
    EXPECT_EQ(dir.calls().size(), 1u);
}

TEST(Check, ValidateReportsErrors) {
    SeedDir dir;
    dir.list("a 1\nb 99999\n");
    auto const r = run_portwatch({"-C", dir.path().string(), "validate"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("port_check.lst:2: bad port '99999'"), std::string::npos) << r.err;
}

TEST(Check, VersionAndHelp) {
    auto const v = run_portwatch({"--version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_NE(v.out.find("portwatch "), std::string::npos);
    auto const h = run_portwatch({"check", "--help"});
    EXPECT_EQ(h.exit_code, 0);
    EXPECT_NE(h.out.find("--notify-cmd"), std::string::npos);
    EXPECT_EQ(run_portwatch({"check", "--bogus"}).exit_code, 64);
}

}  // namespace
}  // namespace portwatch::test

namespace portwatch::test {
namespace {

std::uint64_t inode_of(std::filesystem::path const& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(Check, UnchangedRunRewritesNothingButANewReasonIsSaved) {
    SeedDir dir;
    OpenPort open;
    auto const closed = closed_port();
    dir.list(fmt::format("127.0.0.1 {} A\n127.0.0.1 {} B\n", open.port(), closed));
    ASSERT_EQ(dir.check().exit_code, 0);
    auto const state = dir / "port_check_status.json";
    auto const first = inode_of(state);
    ASSERT_NE(first, 0u);
    ASSERT_EQ(dir.check().exit_code, 0);
    EXPECT_EQ(inode_of(state), first) << "a run that changed nothing replaced the state file";
    // The original's format carries no reason: portwatch adds it once (a rewrite).
    dir.write("port_check_status.json",
              fmt::format("{{\"127.0.0.1:{}\": \"UP\", \"127.0.0.1:{}\": \"DOWN\"}}", open.port(),
                          closed));
    auto const seed_format = inode_of(state);
    ASSERT_EQ(dir.check().exit_code, 0);
    EXPECT_NE(inode_of(state), seed_format);
    auto const saved = nlohmann::json::parse(dir.read("port_check_status.json"));
    EXPECT_EQ(saved["_portwatch"]["targets"][fmt::format("127.0.0.1:{}", closed)]["reason"],
              "refused");
    EXPECT_EQ(dir.calls().size(), 1u);  // the first run's failure of B, nothing since
}

}  // namespace
}  // namespace portwatch::test

namespace portwatch::test {
namespace {

// `check -c` with a JSON store runs once per cron tick: the flap window must carry over
// from run to run in the state file. up, down, up, down: never 3 failures in a row, but 2 of
// the last 4 checks failed, so the 4th run announces the failure (and only it).
TEST(CheckWithConfig, FlapWindowCarriesAcrossCronRunsInTheJsonStore) {
    SeedDir dir;
    FlipPort p;
    dir.write("portwatch.yaml",
              fmt::format("defaults: {{timeout: 1s, failure_threshold: 3, "
                          "flap: {{failures: 2, window: 4}}}}\n"
                          "targets:\n  - {{name: A, host: 127.0.0.1, port: {}, description: A}}\n"
                          "store: json:{}\n",
                          p.port(), (dir / "state.json").string()));
    std::vector<std::string> const args = {"-c", (dir / "portwatch.yaml").string()};
    auto run = [&] {
        auto const r = dir.check(args);
        EXPECT_LE(r.exit_code, 2) << r.err;
    };
    run();  // up
    ASSERT_TRUE(p.set(false));
    run();  // down 1 of 2
    ASSERT_TRUE(p.set(true));
    run();  // up
    EXPECT_TRUE(dir.calls().empty());
    ASSERT_TRUE(p.set(false));
    run();  // down: 2 of the last 4
    auto const msgs = dir.messages();
    ASSERT_EQ(msgs.size(), 1u) << dir.read("state.json");
    EXPECT_NE(msgs[0].find(down), std::string::npos) << msgs[0];
    auto const state = json::parse(dir.read("state.json"));
    auto const& t = state["_portwatch"]["targets"][fmt::format("127.0.0.1:{}", p.port())];
    EXPECT_EQ(t["recent"], "5") << t.dump();  // 0101: the last four checks, newest in bit 0
}

}  // namespace
}  // namespace portwatch::test
