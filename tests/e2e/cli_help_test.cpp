// `portwatch help`, each subcommand's --help (its own examples and exit codes) and validate's
// warning for an -l that -c makes it ignore.
#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::test {
namespace {

bool has(std::string const& text, std::string const& needle) {
    return text.find(needle) != std::string::npos;
}

TEST(CliHelp, EachSubcommandHasItsOwnExitCodes) {
    struct Case {
        std::string sub;
        std::string own;      ///< a line only this subcommand's help has
        std::string foreign;  ///< a line of another subcommand's exit codes
    };
    for (auto const& c : {
             Case{"check", "3   some notifications are pending", "another daemon holds the store"},
             Case{"run", "5   another daemon holds the store", "some notifications are pending"},
             Case{"validate", "2   errors, each as FILE:LINE", "some notifications are pending"},
             Case{"notify-test", "1   the notifier failed", "some notifications are pending"},
         }) {
        auto const r = run_portwatch({c.sub, "--help"});
        EXPECT_EQ(r.exit_code, 0) << c.sub;
        EXPECT_TRUE(has(r.out, "Exit codes of " + c.sub + ":")) << c.sub << "\n" << r.out;
        EXPECT_TRUE(has(r.out, c.own)) << c.sub << "\n" << r.out;
        EXPECT_FALSE(has(r.out, c.foreign)) << c.sub << "\n" << r.out;
        EXPECT_TRUE(has(r.out, "Examples:\n  portwatch " + c.sub)) << c.sub << "\n" << r.out;
        // `portwatch help SUB` is the same text.
        auto const h = run_portwatch({"help", c.sub});
        EXPECT_EQ(h.exit_code, 0) << c.sub;
        EXPECT_EQ(h.out, r.out) << c.sub;
    }
}

TEST(CliHelp, HelpWithoutArgumentIsTheOverview) {
    auto const r = run_portwatch({"help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, run_portwatch({"--help"}).out);
    for (auto const* sub : {"check", "validate", "run", "notify-test", "help"}) {
        EXPECT_TRUE(has(r.out, std::string("\n  ") + sub + " ")) << sub << "\n" << r.out;
    }
}

TEST(CliHelp, UnknownSubcommandIsAUsageError) {
    auto const r = run_portwatch({"help", "nope"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_TRUE(has(r.err, "no subcommand 'nope'")) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CliValidate, ListIgnoredWithConfigIsSaid) {
    TempDir dir;
    dir.write("portwatch.yaml", "targets:\n  - {name: a, host: 127.0.0.1, port: 1}\n");
    dir.write("other.lst", "127.0.0.1 2 other\n");
    auto const with_list = run_portwatch(
        {"validate", "-c", (dir / "portwatch.yaml").string(), "-l", (dir / "other.lst").string()});
    EXPECT_EQ(with_list.exit_code, 0) << with_list.err;
    EXPECT_TRUE(has(with_list.err, "is ignored with -c")) << with_list.err;
    EXPECT_TRUE(has(with_list.out, "1 target(s)")) << with_list.out;
    // Without -l, no warning.
    auto const plain = run_portwatch({"validate", "-c", (dir / "portwatch.yaml").string()});
    EXPECT_EQ(plain.exit_code, 0);
    EXPECT_TRUE(plain.err.empty()) << plain.err;
}

}  // namespace
}  // namespace portwatch::test
