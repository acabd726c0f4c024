// Aliases make a YAML document a graph: one inside the node it names nests forever, and
// aliases of aliases multiply. The config reader says so, with the place, instead of walking
// them (the yaml fuzzer found `&x [*x]` overflowing the stack).
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
    EXPECT_GE(d.line, 4);
    EXPECT_NE(
        d.to_string().find("nested deeper than 64 levels (an alias inside the node it names?)"),
        std::string::npos)
        << d.to_string();
    EXPECT_TRUE(f.config.targets.empty());
}

TEST(ParseConfigAliases, AliasesThatMultiplyAreAnError) {
    // Ten levels of ten aliases each: 10^10 nodes once expanded, from a few hundred bytes.
    std::string text = "x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
    for (int i = 1; i <= 10; ++i) {
        text += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) {
            text += (j ? ", *a" : "*a") + std::to_string(i - 1);
        }
        text += "]\n";
    }
    text += "targets: [{host: 127.0.0.1, port: 22}]\n";
    auto const f = parse_config(text, "bomb.yaml");
    ASSERT_EQ(f.diagnostics.size(), 1u);
    EXPECT_NE(f.diagnostics[0].to_string().find("nodes once its aliases are expanded"),
              std::string::npos)
        << f.diagnostics[0].to_string();
    EXPECT_TRUE(f.config.targets.empty());
}

TEST(ParseConfigAliases, OrdinaryAliasesStillWork) {
    auto const f = parse_config(
        "defaults: &d {timeout: 3s}\n"
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
