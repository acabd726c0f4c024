// Aliases make a YAML document a graph: one inside the node it names nests forever, and
// aliases of aliases multiply. A target option's value like that is an error with its place
// (the yaml fuzzer found `&x [*x]` overflowing the stack while the option was copied).
#include <gtest/gtest.h>

#include <string>

#include "config/yaml.hpp"

namespace portwatch::config {
namespace {

TEST(ParseConfigAliases, AnAliasInsideTheNodeItNamesIsAnErrorWithItsPlace) {
    auto const f = parse_config("targets:\n  - host: 127.0.0.1\n    port: 22\n    tls: &x [*x]\n",
                                "loop.yaml");
    ASSERT_EQ(f.diagnostics.size(), 1u);
    auto const& d = f.diagnostics[0];
    EXPECT_EQ(d.severity, Diagnostic::Severity::error);
    EXPECT_EQ(d.file, "loop.yaml");
    EXPECT_EQ(d.line, 4);
    EXPECT_NE(
        d.to_string().find(
            "targets[0].tls: nested deeper than 32 levels (an alias inside the node it names?)"),
        std::string::npos)
        << d.to_string();
}

TEST(ParseConfigAliases, AliasesThatMultiplyAreAnError) {
    // Ten levels of ten aliases each: 10^10 nodes once expanded, from a few hundred bytes.
    std::string levels = "&a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]";
    for (int i = 1; i <= 10; ++i) {
        levels += ", &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) {
            levels += (j ? ", *a" : "*a") + std::to_string(i - 1);
        }
        levels += "]";
    }
    auto const f = parse_config(
        "targets:\n  - {host: 127.0.0.1, port: 22, tls: [" + levels + "]}\n", "bomb.yaml");
    ASSERT_EQ(f.diagnostics.size(), 1u);
    EXPECT_NE(f.diagnostics[0].to_string().find(
                  "targets[0].tls: more than 100000 nodes once its aliases are expanded"),
              std::string::npos)
        << f.diagnostics[0].to_string();
}

TEST(ParseConfigAliases, OrdinaryAliasesStillWork) {
    auto const f = parse_config(
        "targets:\n"
        "  - {host: 127.0.0.1, port: 22, description: &desc ssh box}\n"
        "  - {host: 127.0.0.2, port: 22, description: *desc}\n",
        "ok.yaml");
    EXPECT_TRUE(f.diagnostics.empty()) << f.diagnostics[0].to_string();
    ASSERT_EQ(f.config.targets.size(), 2u);
    EXPECT_EQ(f.config.targets[1].target.description, "ssh box");
}

}  // namespace
}  // namespace portwatch::config
