// Alert-storm grouping end to end: `check -c` with an exec notifier that groups, a burst of
// targets going DOWN at once, the seed's push_msg.py recording what it is called with.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "e2e/e2e_support.hpp"

namespace portwatch::test {
namespace {

TEST(AlertStorm, ABurstOfFailuresIsOneGroupedCallAfterTheFirstAndNothingIsLost) {
    SeedDir dir;
    std::string targets;
    for (int i = 0; i < 6; ++i) {
        targets += fmt::format("  - {{host: 127.0.0.{}, port: {}, description: 'svc{}'}}\n", i + 1,
                               closed_port(), i);
    }
    dir.write("portwatch.yaml",
              "notifiers:\n  - {type: exec, group: {window: 1s, after: 1, max_lines: 3}}\n"
              "store: json:port_check_status.json\n"
              "targets:\n" +
                  targets);
    auto const r = dir.check({"-c", (dir / "portwatch.yaml").string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto const messages = dir.messages();
    ASSERT_EQ(messages.size(), 2u) << r.out << r.err;
    EXPECT_TRUE(messages[0].find(" 장애 (") != std::string::npos) << messages[0];
    EXPECT_EQ(messages[1].rfind("portwatch: 장애 5\n", 0), 0u) << messages[1];
    EXPECT_NE(messages[1].find("\n+2 more"), std::string::npos) << messages[1];
    // Every event was delivered: nothing is left in the outbox.
    auto const state = dir.read("port_check_status.json");
    EXPECT_NE(state.find("\"outbox\": []"), std::string::npos) << state;

    // Without `group:` exec keeps one call per event (the seed's contract).
    SeedDir plain;
    plain.write("portwatch.yaml",
                "notifiers:\n  - {type: exec}\n"
                "store: json:port_check_status.json\ntargets:\n" +
                    targets);
    auto const r2 = plain.check({"-c", (plain / "portwatch.yaml").string()});
    EXPECT_EQ(r2.exit_code, 0) << r2.out << r2.err;
    EXPECT_EQ(plain.messages().size(), 6u);
}

}  // namespace
}  // namespace portwatch::test
