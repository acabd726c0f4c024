// The line-by-line state reader against the whole-text readers: it must take the files
// portwatch and the seed script write, give the same state as parse_full for each, and pass
// every other file on (nullopt) rather than read it differently.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "store/json_state_reader.hpp"
#include "store/json_store.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::store {
namespace {

std::string saved(State const& s) {
    return JsonStore::serialize(s);
}

/// The line reader's state for `text`, as the bytes it would save; "passed on" for nullopt.
std::string by_lines(std::string const& text) {
    test::TempDir dir;
    auto const path = dir.write("state.json", text);
    auto const loaded = detail::read_state_lines(path);
    if (!loaded) {
        return "passed on";
    }
    EXPECT_TRUE(loaded->warnings.empty());
    return saved(loaded->state);
}

std::string by_full_reader(std::string const& text) {
    auto const r = JsonStore::parse_full(text);
    return r ? saved(r->state) : "error";
}

State sample_state(std::size_t n) {
    State s;
    for (std::size_t i = 0; i < n; ++i) {
        eval::TargetState t;
        t.status = i % 3 == 0 ? eval::Status::down : eval::Status::up;
        t.since = util::from_epoch_seconds(1700000000.25 + static_cast<double>(i));
        t.reason = t.status == eval::Status::down ? "refused" : "";
        t.consecutive_failures = t.status == eval::Status::down ? 2 : 0;
        t.consecutive_successes = t.status == eval::Status::up ? 5 : 0;
        t.last_check = util::from_epoch_seconds(1700000300.5);
        t.recent_failures = i % 5 == 0 ? 0x15 : 0;
        t.last_alert = i % 7 == 0 ? util::from_epoch_seconds(1700000100) : util::TimePoint{};
        t.cert_warned = i % 11 == 0 ? 1800000000 : 0;
        t.cert_warned_at = i % 11 == 0 ? util::from_epoch_seconds(1700000200) : util::TimePoint{};
        s.targets.emplace_back("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) +
                                   ":" + std::to_string(20 + i % 3),
                               t);
    }
    s.targets.emplace_back("[::1]:8080", eval::TargetState{.status = eval::Status::up});
    s.targets.emplace_back("tls://예시.example:443", eval::TargetState{.status = eval::Status::down,
                                                                       .reason = "cert-expired"});
    return s;
}

TEST(JsonStateLines, TakesWhatPortwatchWritesAndKeepsEveryByte) {
    for (std::size_t n : {0, 1, 2, 3000}) {
        std::string const text = saved(sample_state(n));
        EXPECT_EQ(by_lines(text), text) << n;
        EXPECT_EQ(by_lines(text), by_full_reader(text)) << n;
    }
    State empty;
    EXPECT_EQ(by_lines(saved(empty)), saved(empty));
}

TEST(JsonStateLines, TakesTheSeedScriptsFileWithAndWithoutAFinalNewline) {
    std::string const seed = "{\n    \"10.0.0.1:22\": \"UP\",\n    \"10.0.0.2:80\": \"DOWN\"\n}";
    for (auto const& text : {seed, seed + "\n", std::string("{}"), std::string("{}\n")}) {
        EXPECT_NE(by_lines(text), "passed on") << text;
        EXPECT_EQ(by_lines(text), by_full_reader(text)) << text;
    }
}

TEST(JsonStateLines, AgreesWithTheFullReaderOnRepeatsOrderAndDisagreeingEntries) {
    std::string const head =
        "{\n    \"a:1\": \"UP\",\n    \"b:2\": \"DOWN\",\n    \"a:1\": \"DOWN\",\n";
    std::string const section_head =
        "    \"_portwatch\": {\n        \"version\": 1,\n        \"targets\": {\n";
    std::string const tail = "        },\n        \"outbox\": []\n    }\n}\n";
    std::vector<std::string> const cases = {
        // a repeated top-level key: first place, last value; an entry that disagrees with it
        head + section_head +
            "            \"a:1\": {\"status\":\"UP\",\"since\":5.5,\"failures\":0,"
            "\"successes\":9,\"last_check\":7},\n"
            "            \"b:2\": {\"status\":\"DOWN\",\"since\":6,\"reason\":\"timeout\","
            "\"failures\":3,\"successes\":0,\"recent\":\"ff\",\"last_alert\":8}\n" +
            tail,
        // entries out of order, repeated (the last wins), and one for a key not listed
        head + section_head +
            "            \"b:2\": {\"status\":\"DOWN\",\"failures\":1},\n"
            "            \"zz:9\": {\"status\":\"UP\",\"successes\":4},\n"
            "            \"a:1\": {\"status\":\"DOWN\",\"failures\":2},\n"
            "            \"b:2\": {\"status\":\"DOWN\",\"failures\":7,\"reason_hex\":\"ff00\"}\n" +
            tail,
        // fields of other types, unknown fields, big and odd numbers
        head + section_head +
            "            \"a:1\": {\"status\":\"DOWN\",\"failures\":1e3,\"successes\":-4,"
            "\"since\":null,\"reason\":true,\"unknown\":\"x\",\"last_check\":1e-999}\n" +
            tail,
    };
    for (auto const& text : cases) {
        EXPECT_EQ(by_lines(text), by_full_reader(text)) << text;
    }
}

TEST(JsonStateLines, PassesOnEveryOtherFile) {
    std::string const good = saved(sample_state(3));
    std::vector<std::string> cases = {
        "",
        "{",
        "{\n",
        "[]",
        "{\"a:1\": \"UP\"}",                               // one line, not the layout
        "{\n  \"a:1\": \"UP\"\n}",                         // another indent
        "{\n    \"a:1\": \"UP\",\n}",                      // a trailing comma: not JSON
        "{\n    \"a:1\": \"UP\"\n    \"b:1\": \"UP\"\n}",  // a missing comma: not JSON
        "{\n    \"a:1\": \"up\"\n}",                       // a value the full reader warns about
        "{\n    \"a\\u0041:1\": \"UP\"\n}",                // an escape
        "{\n    \"a:1\": \"UP\"\n}\n\n",                   // more after the end
        "{\n    \"a:1\": \"UP\"\n} x",
        "{\n    \"a:1\": \"UP\"\r\n}",
        std::string("{\n    \"a\xff:1\": \"UP\"\n}"),  // not UTF-8
        "{\n    \"_portwatch\": \"UP\"\n}",
    };
    // An outbox entry, a nested value in an entry, a bad number, a truncated file.
    std::string with_outbox = good;
    with_outbox.replace(with_outbox.find("\"outbox\": []"), 12, "\"outbox\": [\n{}\n]");
    cases.push_back(with_outbox);
    std::string nested = good;
    nested.replace(nested.find("{\"status\""), 1, "{\"x\":{\"y\":1},");
    cases.push_back(nested);
    std::string bad_number = good;
    bad_number.replace(bad_number.find("\"failures\":"), 11, "\"failures\":01,\"z\":");
    cases.push_back(bad_number);
    cases.push_back(good.substr(0, good.size() - 3));
    for (auto const& text : cases) {
        EXPECT_EQ(by_lines(text), "passed on") << text;
    }
}

TEST(JsonStateLines, LoadReadsTheLayoutAndAnyOtherSpellingAlike) {
    // Through JsonStore::load: the file as written (read by lines) and the same JSON on one
    // line (read whole) give the same state.
    test::TempDir dir;
    std::string const text = saved(sample_state(50));
    std::string one_line = text;
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    ASSERT_EQ(by_lines(one_line), "passed on");
    auto const a = JsonStore(dir.write("a.json", text)).load();
    auto const b = JsonStore(dir.write("b.json", one_line)).load();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->state, b->state);
    EXPECT_EQ(saved(a->state), text);
}

TEST(JsonStateLines, KeepsOnlyTheKeysAskedForOnBothPaths) {
    // `check` loads only listed targets: stale keys cost nothing, on either path.
    test::TempDir dir;
    State const s = sample_state(1000);
    std::string const text = saved(s);
    std::string one_line = text;
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    auto const keep = [](std::string_view key) { return key.starts_with("10.0.1."); };
    State expected;
    for (auto const& t : s.targets) {
        if (keep(t.first)) {
            expected.targets.push_back(t);
        }
    }
    ASSERT_EQ(expected.targets.size(), 250u);
    auto const lines = detail::read_state_lines(dir.write("a.json", text), keep);
    ASSERT_TRUE(lines);
    EXPECT_EQ(lines->state, expected);
    EXPECT_EQ(lines->left_out, 752u);
    for (auto const* name : {"a.json", "b.json"}) {
        dir.write("b.json", one_line);
        auto store = JsonStore::open(dir / name, OpenOptions{.keep_key = keep});
        ASSERT_TRUE(store);
        auto const loaded = (*store)->load();
        ASSERT_TRUE(loaded) << name;
        EXPECT_EQ(loaded->state, expected) << name;
        EXPECT_EQ(loaded->left_out, 752u) << name;
    }
}

}  // namespace
}  // namespace portwatch::store
