// The fast state reader (simdjson, common shape) against the full reader (nlohmann): for
// every file both must give the same state and warnings; the fast one must really take the
// common files.
#include "store/json_state_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/json_store.hpp"

namespace portwatch::store {
namespace {

// What a load gives, comparable: the saved bytes of the state, and the warnings.
std::string outcome(util::Result<Loaded> const& r) {
    if (!r) {
        return "error";
    }
    std::string out = JsonStore::serialize(r->state);
    for (auto const& w : r->warnings) {
        out += "\nwarning: " + w;
    }
    return out;
}

State sample_state() {
    State s;
    eval::TargetState up;
    up.status = eval::Status::up;
    up.since = util::from_epoch_seconds(1700000000.25);
    up.consecutive_successes = 3;
    up.last_check = util::from_epoch_seconds(1700000300.5);
    eval::TargetState down;
    down.status = eval::Status::down;
    down.reason = std::string("refused\xff", 8);  // not UTF-8: saved as reason_hex
    down.consecutive_failures = 2;
    s.targets.emplace_back("127.0.0.1:22", up);
    s.targets.emplace_back("[::1]:8080", down);
    s.targets.emplace_back("host.example:443", up);
    return s;
}

TEST(JsonStateReader, TakesTheFilesPortwatchWritesAndAgreesWithTheFullReader) {
    std::string const text = JsonStore::serialize(sample_state());
    auto const fast = detail::read_state_fast(text);
    ASSERT_TRUE(fast.has_value());
    EXPECT_EQ(fast->top.size(), 3u);
    EXPECT_EQ(fast->extras.size(), 3u);
    EXPECT_TRUE(fast->has_section);
    EXPECT_EQ(fast->extras.at("[::1]:8080").fields.reason, std::string("refused\xff", 8));
    EXPECT_EQ(outcome(JsonStore::parse(text)), outcome(JsonStore::parse_full(text)));
    EXPECT_EQ(outcome(JsonStore::parse(text)), text);  // a round trip keeps every byte
}

TEST(JsonStateReader, TakesTheSeedScriptsFile) {
    std::string const text = "{\n    \"10.0.0.1:22\": \"UP\",\n    \"10.0.0.2:80\": \"DOWN\"\n}";
    auto const fast = detail::read_state_fast(text);
    ASSERT_TRUE(fast.has_value());
    EXPECT_FALSE(fast->has_section);
    EXPECT_EQ(outcome(JsonStore::parse(text)), outcome(JsonStore::parse_full(text)));
}

TEST(JsonStateReader, OffShapeFilesGoToTheFullReaderWithTheSameResult) {
    std::vector<std::string> const cases = {
        "",
        "[]",
        "\"UP\"",
        "{\"a:1\": \"UP\"} trailing",
        "{\"a:1\": \"UP\", \"b:2\": \"MAYBE\"}",
        "{\"a:1\": 5}",
        "{\"a:1\": {\"nested\": 1}}",
        "{\"a:1\": \"UP\", \"a:1\": \"DOWN\"}",
        "{\"a:1\": \"UP\", \"_portwatch\": \"UP\"}",
        "{\"a:1\": \"UP\", \"_portwatch\": []}",
        "{\"a:1\": \"UP\", \"_portwatch\": {}, \"_portwatch\": {}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": []}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": 3, \"outbox\": {}}}",
        "{\"a:1\": \"DOWN\", \"_portwatch\": {\"targets\": {\"a:1\": {\"status\": \"UP\", "
        "\"failures\": 7}}}}",
        "{\"a:1\": \"DOWN\", \"_portwatch\": {\"targets\": {\"a:1\": {\"status\": \"DOWN\", "
        "\"failures\": 1e300, \"successes\": -4, \"since\": \"x\", \"last_check\": true, "
        "\"reason\": 5, \"reason_hex\": \"7a7a\", \"extra\": null}}}}",
        "{\"a:1\": \"DOWN\", \"_portwatch\": {\"targets\": {\"a:1\": {\"status\": \"DOWN\", "
        "\"failures\": 3, \"failures\": \"x\", \"reason\": \"a\", \"reason\": \"b\"}}}}",
        "{\"a:1\": \"DOWN\", \"_portwatch\": {\"targets\": {\"a:1\": {\"x\": [1]}}}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {\"a:1\": 4, \"b:2\": {}}}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"version\": 9, \"future\": {\"x\": 1}}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"outbox\": [{\"id\": \"e1\", \"message\": \"m\"}]}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"outbox\": [{\"id\": 1}]}}",
        // Version 2: a destination per outbox entry (as text, hex, or of a wrong type).
        "{\"a:1\": \"UP\", \"_portwatch\": {\"version\": 2, \"targets\": {}, \"outbox\": []}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"version\": 2, \"outbox\": [{\"id\": \"e1\", "
        "\"destination\": \"slack\", \"message\": \"m\"}, {\"id\": \"e1\", \"message\": \"m\"}]}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"outbox\": [{\"id\": \"e1\", "
        "\"destination_hex\": \"ff41\", \"message\": \"m\"}, {\"id\": \"e2\", \"destination\": 3, "
        "\"message\": \"m\"}]}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {}, \"targets\": {}}}",
        "{\"a:1\": \"UP\"",
        "{\"a:1\": \"DOWN\", \"_portwatch\": {\"targets\": {\"a:1\": {\"status\": \"DOWN\", "
        "\"recent\": \"b\", \"last_alert\": 1700000000.5}}}}",
        "{\"a:1\": \"DOWN\", \"_portwatch\": {\"targets\": {\"a:1\": {\"status\": \"UP\", "
        "\"recent\": \"ff\", \"last_alert\": 1700000000.5}}}}",
        "{\"a:1\": \"DOWN\", \"_portwatch\": {\"targets\": {\"a:1\": {\"status\": \"DOWN\", "
        "\"recent\": \"b\", \"recent\": 11, \"last_alert\": \"x\"}}}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {\"a:1\": {\"since\": 1e999}}}}",
        // Where the two JSON libraries could differ: escapes, surrogates, a BOM, bytes that
        // are not UTF-8, control characters, number edges, trailing bytes, depth.
        "{\"a\\u003a1\": \"UP\"}",
        "{\"a:1\\udc00\": \"UP\"}",
        "{\"a:1\\ud800\": \"UP\"}",
        "{\"a:1\\ud800x\": \"UP\"}",
        "{\"a:1\\ud83d\\ude00\": \"UP\"}",
        "{\"a:1\\u0000\": \"UP\"}",
        "{\"a:1\": \"U\\u0050\"}",
        "{\"a:1\\\\u\": \"UP\"}",
        "\xef\xbb\xbf{\"a:1\": \"UP\"}",
        "{\"a:1\xff\": \"UP\"}",
        "{\"a:1\xc0\xaf\": \"UP\"}",
        "{\"a:1\xed\xa0\x80\": \"UP\"}",
        "{\"a:1\x01\": \"UP\"}",
        "{\"a:1\tx\": \"UP\"}",
        std::string("{\"a:1\": \"UP\"}") + '\0',
        std::string("{\"a:1") + '\0' + "\": \"UP\"}",
        "{\"a:1\": \"UP\"}\n\n  ",
        "  \n",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {\"a:1\": {\"failures\": -0, "
        "\"successes\": 18446744073709551615, \"since\": 18446744073709551616, "
        "\"last_check\": 9223372036854775808, \"last_alert\": -9223372036854775809}}}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {\"a:1\": {\"failures\": 01}}}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {\"a:1\": {\"failures\": 1.}}}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {\"a:1\": {\"since\": 4.9e-324, "
        "\"last_check\": 2.2250738585072011e-308, \"failures\": 1E+2, \"successes\": 1e-999}}}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {\"a:1\": {\"since\": tru}}}}",
        "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {\"a:1\": {\"since\": nul}}}}",
        std::string(3000, '[') + std::string(3000, ']'),
        "{\"_portwatch\": {\"x\": " + std::string(3000, '[') + std::string(3000, ']') + "}}",
    };
    for (auto const& text : cases) {
        EXPECT_EQ(outcome(JsonStore::parse(text)), outcome(JsonStore::parse_full(text))) << text;
    }
    // These are of the common shape: the fast reader must take them, not pass them on.
    for (auto const* text : {"{}", "{\"a:1\": \"UP\", \"_portwatch\": {\"outbox\": []}}",
                             "{\"a:1\": \"UP\", \"_portwatch\": {\"version\": 2, \"outbox\": []}}",
                             "{\"a:1\": \"UP\", \"_portwatch\": {\"targets\": {\"a:1\": 4}}}"}) {
        EXPECT_TRUE(detail::read_state_fast(text).has_value()) << text;
    }
}

}  // namespace
}  // namespace portwatch::store
