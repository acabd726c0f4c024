#include "store/json_store.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace portwatch::store {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

util::TimePoint const t0 = util::TimePoint(1'750'000'000'123'456us);

OutboxEntry entry(std::string key, std::string message) {
    eval::Event ev{.id = "id-" + key,
                   .kind = eval::EventKind::down,
                   .key = key,
                   .host = "h",
                   .port = 1,
                   .description = "d",
                   .reason = "refused",
                   .detail = "x",
                   .time = t0};
    return OutboxEntry{.event = ev,
                       .message = std::move(message),
                       .attempts = 2,
                       .next_attempt = t0 + 60s,
                       .last_error = "exit status 1"};
}

TEST(JsonStore, OriginalFileLoadsAsState) {
    // As the seed script writes it: flat, indent 4, ensure_ascii escapes.
    auto const loaded = JsonStore::parse("{\n    \"a:1\": \"UP\",\n    \"\\uc6f9:2\": \"DOWN\"\n}");
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->state.targets.size(), 2u);
    EXPECT_EQ(loaded->state.targets[0].first, "a:1");
    EXPECT_EQ(loaded->state.targets[0].second.status, eval::Status::up);
    EXPECT_EQ(loaded->state.targets[1].first, "웹:2");
    EXPECT_EQ(loaded->state.targets[1].second.status, eval::Status::down);
    EXPECT_TRUE(loaded->warnings.empty());
}

TEST(JsonStore, LargeStateKeepsListOrder) {
    // 20,000 targets in an order that is not sorted: loading and saving stay in list order
    // and run in well under a second (they were quadratic once, see bench/RESULTS.md).
    State s;
    for (int i = 0; i < 20000; ++i) {
        eval::TargetState t;
        t.status = i % 5 == 0 ? eval::Status::down : eval::Status::up;
        t.reason = i % 5 == 0 ? "refused" : "";
        s.targets.emplace_back(
            "10.0." + std::to_string((i * 7919) % 20000) + ":" + std::to_string(1 + i % 60000), t);
    }
    auto const loaded = JsonStore::parse(JsonStore::serialize(s));
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->state.targets.size(), s.targets.size());
    for (std::size_t i = 0; i < s.targets.size(); ++i) {
        ASSERT_EQ(loaded->state.targets[i].first, s.targets[i].first);
        ASSERT_EQ(loaded->state.targets[i].second.status, s.targets[i].second.status);
    }
}

TEST(JsonStore, SerializeIsByteForByteTheDomDump) {
    // serialize() streams; it must give exactly what nlohmann's ordered dump(4) gives, except
    // that each _portwatch.targets entry is one line in dump()'s compact form.
    State s;
    eval::TargetState a;
    a.status = eval::Status::down;
    a.since = t0;
    a.last_check = t0 + 1500ms;
    a.reason = "timeout";
    a.consecutive_failures = 3;
    eval::TargetState u;
    u.status = eval::Status::unknown;
    eval::TargetState f = a;  // flap window and reminders configured
    f.recent_failures = 0xb;
    f.last_alert = t0 + 900ms;
    s.targets = {{"a:1", a}, {"\uc6f9 \"q\":2", a}, {"u:3", u}, {"f:4", f}};
    s.outbox = {entry("a:1", "m1"), entry("b:2", "m\n2")};
    using J = nlohmann::ordered_json;
    auto expect = [](State const& st) {
        J root = J::object();
        J targets = J::object();
        std::vector<std::string> compact;  // each entry's one line, behind a placeholder
        for (auto const& [k, v] : st.targets) {
            if (v.status != eval::Status::unknown) {
                root[k] = eval::status_name(v.status);
            }
            targets[k] = J{{"status", eval::status_name(v.status)},
                           {"since", util::to_epoch_seconds(v.since)},
                           {"reason", v.reason},
                           {"failures", v.consecutive_failures},
                           {"successes", v.consecutive_successes},
                           {"last_check", util::to_epoch_seconds(v.last_check)}};
            if (v.recent_failures != 0) {
                char hex[24];
                std::snprintf(hex, sizeof hex, "%llx",
                              static_cast<unsigned long long>(v.recent_failures));
                targets[k]["recent"] = hex;
            }
            if (v.last_alert != util::TimePoint{}) {
                targets[k]["last_alert"] = util::to_epoch_seconds(v.last_alert);
            }
            compact.push_back(targets[k].dump());
            targets[k] = "@@" + std::to_string(compact.size() - 1) + "@@";
        }
        J outbox = J::parse(JsonStore::serialize(st))["_portwatch"]["outbox"];
        root["_portwatch"] = J{{"version", 1}, {"targets", targets}, {"outbox", outbox}};
        std::string text = root.dump(4) + "\n";
        for (std::size_t i = 0; i < compact.size(); ++i) {
            auto const mark = "\"@@" + std::to_string(i) + "@@\"";
            text.replace(text.find(mark), mark.size(), compact[i]);
        }
        return text;
    };
    EXPECT_EQ(JsonStore::serialize(s), expect(s));
    EXPECT_EQ(JsonStore::serialize(State{}), expect(State{}));
    State only_outbox;
    only_outbox.outbox = s.outbox;
    EXPECT_EQ(JsonStore::serialize(only_outbox), expect(only_outbox));
}

TEST(JsonStore, DuplicateTopLevelKeyLoadsOnce) {
    auto const loaded = JsonStore::parse(R"({"a:1": "UP", "b:2": "DOWN", "a:1": "DOWN"})");
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->state.targets.size(), 2u);
    EXPECT_EQ(loaded->state.targets[0].first, "a:1");
    EXPECT_EQ(loaded->state.targets[1].first, "b:2");
}

TEST(JsonStore, TopLevelStaysSeedFormat) {
    State s;
    s.targets.push_back({"b:2", eval::TargetState{.status = eval::Status::down}});
    s.targets.push_back({"a:1", eval::TargetState{.status = eval::Status::up}});
    auto const text = JsonStore::serialize(s);
    EXPECT_EQ(
        text.rfind("{\n    \"b:2\": \"DOWN\",\n    \"a:1\": \"UP\",\n    \"_portwatch\": {", 0), 0u)
        << text;
}

TEST(JsonStore, RoundTripsEverything) {
    State s;
    s.targets.push_back({"a:1", eval::TargetState{.status = eval::Status::down,
                                                  .since = t0,
                                                  .reason = "timeout",
                                                  .consecutive_failures = 3,
                                                  .last_check = t0 + 5s}});
    s.outbox.push_back(entry("a:1", "d (a:1) 장애 (2025.06.15 12:00:00)"));
    s.outbox.push_back(entry("b:2", std::string("bad \xff\xfe bytes")));
    s.outbox[1].event.description = "\xc3";
    auto const loaded = JsonStore::parse(JsonStore::serialize(s));
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->state, s);
}

TEST(JsonStore, TopLevelWinsOverStaleExtra) {
    // The original script rewrote the top level (a:1 now UP) and kept our extra data.
    State s;
    s.targets.push_back(
        {"a:1", eval::TargetState{.status = eval::Status::down, .consecutive_failures = 4}});
    std::string text = JsonStore::serialize(s);
    text.replace(text.find("\"DOWN\""), 6, "\"UP\"");
    auto const loaded = JsonStore::parse(text);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->state.targets[0].second.status, eval::Status::up);
    EXPECT_EQ(loaded->state.targets[0].second.consecutive_failures, 0);
}

TEST(JsonStore, UnknownValuesWarnedAndSkipped) {
    auto const loaded = JsonStore::parse(R"({"a:1": "MAYBE", "b:2": 3, "c:3": "UP"})");
    ASSERT_TRUE(loaded);
    ASSERT_EQ(loaded->state.targets.size(), 1u);
    EXPECT_EQ(loaded->warnings.size(), 2u);
}

TEST(JsonStore, NotAnObjectIsAnError) {
    EXPECT_FALSE(JsonStore::parse("[1,2]"));
    EXPECT_FALSE(JsonStore::parse("{\"a:1\": \"UP\""));
    EXPECT_FALSE(JsonStore::parse(""));
}

TEST(JsonStore, MissingFileIsEmpty) {
    test::TempDir dir;
    JsonStore store(dir / "s.json");
    auto const loaded = store.load();
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(loaded->state.targets.empty());
    EXPECT_FALSE(fs::exists(dir / "s.json"));
}

TEST(JsonStore, CorruptFileSetAsideAndStartsEmpty) {
    test::TempDir dir;
    dir.write("s.json", "{\"a:1\": \"UP\", garbage");
    JsonStore store(dir / "s.json");
    auto const loaded = store.load();
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(loaded->state.targets.empty());
    ASSERT_EQ(loaded->warnings.size(), 1u);
    EXPECT_NE(loaded->warnings[0].find("corrupt-"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir / "s.json"));
    int aside = 0;
    for (auto const& e : fs::directory_iterator(dir.path())) {
        if (e.path().filename().string().rfind("s.json.corrupt-", 0) == 0) {
            ++aside;
            EXPECT_EQ(dir.read(e.path().filename().string()), "{\"a:1\": \"UP\", garbage");
        }
    }
    EXPECT_EQ(aside, 1);
}

TEST(JsonStore, DirectoryInPlaceIsAnErrorAndUntouched) {
    test::TempDir dir;
    fs::create_directory(dir / "s.json");
    JsonStore store(dir / "s.json");
    EXPECT_FALSE(store.load());
    EXPECT_FALSE(store.commit(State{}));
    EXPECT_TRUE(fs::is_directory(dir / "s.json"));
}

TEST(JsonStore, LoadGivesWhatParseGivesForEveryShape) {
    // load() lets go of the text once the fast reader has parsed it and reads the file again
    // for the full reader: the common file, one with an outbox, one with a \u escape, and one
    // with a value to warn about must all load as parse() reads them, and stay untouched.
    State s;
    s.targets.push_back({"a:1", eval::TargetState{.status = eval::Status::up, .since = t0}});
    s.targets.push_back({"b:2", eval::TargetState{.status = eval::Status::down, .reason = "x"}});
    State with_outbox = s;
    with_outbox.outbox = {entry("b:2", "m1")};
    for (std::string const& text :
         {JsonStore::serialize(s), JsonStore::serialize(with_outbox),
          std::string("{\"a\\u003a1\": \"UP\"}"), std::string("{\"a:1\": \"MAYBE\"}")}) {
        test::TempDir dir;
        dir.write("s.json", text);
        JsonStore store(dir / "s.json");
        auto const loaded = store.load();
        auto const parsed = JsonStore::parse(text);
        ASSERT_TRUE(loaded) << text;
        ASSERT_TRUE(parsed) << text;
        EXPECT_EQ(JsonStore::serialize(loaded->state), JsonStore::serialize(parsed->state));
        EXPECT_EQ(loaded->warnings, parsed->warnings);
        EXPECT_EQ(dir.read("s.json"), text);
    }
}

TEST(JsonStore, CommitIsAtomicAndLeavesNoTempFile) {
    test::TempDir dir;
    JsonStore store(dir / "s.json");
    State s;
    s.targets.push_back({"a:1", eval::TargetState{.status = eval::Status::up}});
    ASSERT_TRUE(store.commit(s));
    auto const loaded = store.load();
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->state.targets.size(), 1u);
    int files = 0;
    for ([[maybe_unused]] auto const& e : fs::directory_iterator(dir.path()))
        ++files;
    EXPECT_EQ(files, 1);
}

TEST(JsonStore, ReadOnlyDirectoryKeepsOldState) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root ignores directory permissions; covered by the ENOSPC test";
    }
    test::TempDir dir;
    JsonStore store(dir / "s.json");
    ASSERT_TRUE(store.commit(State{}));
    ::chmod(dir.path().c_str(), 0555);
    EXPECT_FALSE(store.commit(State{}));
    ::chmod(dir.path().c_str(), 0755);
}

}  // namespace
}  // namespace portwatch::store

namespace portwatch::store {
namespace {

// A hand-edited file may give, through "<name>_hex", text that is not UTF-8 where portwatch
// itself only writes ASCII (a reason, an outbox key or host): saving it must not throw.
TEST(JsonStore, HexFieldsThatAreNotUtf8SurviveASaveAndReload) {
    std::string const text = R"({"a:1": "DOWN", "_portwatch": {"targets": {"a:1": {
        "status": "DOWN", "reason_hex": "ff00"}}, "outbox": [{"id": "e1", "message": "m",
        "key_hex": "fe", "host_hex": "fd", "reason_hex": "fc"}]}})";
    auto const loaded = JsonStore::parse(text);
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->state.targets.size(), 1u);
    EXPECT_EQ(loaded->state.targets[0].second.reason, std::string("\xff\x00", 2));
    ASSERT_EQ(loaded->state.outbox.size(), 1u);
    EXPECT_EQ(loaded->state.outbox[0].event.key, "\xfe");
    std::string const saved = JsonStore::serialize(loaded->state);
    EXPECT_NE(saved.find("\"reason_hex\":\"ff00\""), std::string::npos) << saved;
    auto const reloaded = JsonStore::parse(saved);
    ASSERT_TRUE(reloaded);
    EXPECT_EQ(JsonStore::serialize(reloaded->state), saved);
    EXPECT_EQ(reloaded->state.outbox[0].event.host, "\xfd");
    EXPECT_EQ(reloaded->state.outbox[0].event.reason, "\xfc");
}

}  // namespace
}  // namespace portwatch::store

namespace portwatch::store {
namespace {

// The flap window's bits and the last reminder survive a save and a load (a `check -c` with
// `store: json:...` and flap/remind_every runs once per cron tick), all 64 bits exactly.
TEST(JsonStore, FlapWindowAndLastAlertRoundTrip) {
    State s;
    eval::TargetState d;
    d.status = eval::Status::down;
    d.since = t0;
    d.recent_failures = 0xffff'ffff'ffff'fffeULL;
    d.last_alert = t0 + 3600s;
    eval::TargetState plain;
    plain.status = eval::Status::up;
    s.targets = {{"d:1", d}, {"p:2", plain}};
    std::string const text = JsonStore::serialize(s);
    EXPECT_NE(text.find("\"recent\":\"fffffffffffffffe\""), std::string::npos) << text;
    auto const loaded = JsonStore::parse(text);
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->state.targets.size(), 2u);
    EXPECT_EQ(loaded->state.targets[0].second.recent_failures, d.recent_failures);
    EXPECT_EQ(loaded->state.targets[0].second.last_alert, d.last_alert);
    EXPECT_EQ(loaded->state.targets[1].second.recent_failures, 0u);
    // A target without them writes neither key: a seed-list run's file does not change.
    auto const plain_text = text.substr(text.find("\"p:2\": {"));
    EXPECT_EQ(plain_text.find("recent"), std::string::npos);
    EXPECT_EQ(plain_text.find("last_alert"), std::string::npos);
    // The full reader agrees; bad hex counts as no failures.
    auto const full = JsonStore::parse_full(text);
    ASSERT_TRUE(full);
    EXPECT_EQ(JsonStore::serialize(full->state), text);
    for (auto const* bad : {"\"xyz\"", "\"\"", "\"11111111111111111\"", "12", "\"-1\""}) {
        std::string const t = std::string(R"({"d:1": "DOWN", "_portwatch": {"targets": {"d:1": )") +
                              R"({"status": "DOWN", "recent": )" + bad + "}}}}";
        auto const r = JsonStore::parse(t);
        ASSERT_TRUE(r) << t;
        EXPECT_EQ(r->state.targets[0].second.recent_failures, 0u) << t;
    }
}

TEST(JsonStore, WithoutDestinationsTheFileStaysVersion1ByteForByte) {
    State state;
    state.targets.emplace_back("a:1", eval::TargetState{.status = eval::Status::up});
    auto const text = JsonStore::serialize(state);
    EXPECT_NE(text.find("\"version\": 1,"), std::string::npos) << text;
    EXPECT_EQ(text.find("destination"), std::string::npos);
    state.outbox.push_back(entry("a:1", "m"));
    EXPECT_NE(JsonStore::serialize(state).find("\"version\": 1,"), std::string::npos);
}

TEST(JsonStore, Version2NamesEachEntrysDestination) {
    State state;
    state.targets.emplace_back("a:1", eval::TargetState{.status = eval::Status::down});
    auto to_slack = entry("a:1", "m");
    to_slack.destination = "slack";
    auto to_default = entry("a:1", "m");
    auto odd = entry("a:1", "m");
    odd.destination = "bytes \xff";
    state.outbox = {to_slack, to_default, odd};
    auto const text = JsonStore::serialize(state);
    EXPECT_NE(text.find("\"version\": 2,"), std::string::npos) << text;
    EXPECT_NE(text.find("\"id\": \"id-a:1\",\n                \"destination\": \"slack\","),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\"destination_hex\""), std::string::npos) << text;
    auto const loaded = JsonStore::parse(text);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->state, state);
    EXPECT_TRUE(loaded->warnings.empty());
    EXPECT_EQ(JsonStore::serialize(loaded->state), text);
}

TEST(JsonStore, Version1OutboxLoadsForTheDefaultDestination) {
    auto const text = std::string(
        "{\n    \"a:1\": \"DOWN\",\n    \"_portwatch\": {\"version\": 1, \"outbox\": [{\"id\": "
        "\"e1\", \"event\": \"down\", \"key\": \"a:1\", \"message\": \"m\"}]}\n}");
    auto const loaded = JsonStore::parse(text);
    ASSERT_TRUE(loaded) << loaded.error().message;
    ASSERT_EQ(loaded->state.outbox.size(), 1u);
    EXPECT_EQ(loaded->state.outbox[0].destination, "");
    EXPECT_EQ(loaded->state.outbox[0].id(), OutboxId("e1"));
}

}  // namespace
}  // namespace portwatch::store
