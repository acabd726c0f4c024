#include "config/lst.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace portwatch::config {
namespace {

struct Case {
    char const* name;
    std::string text;
    std::vector<Target> targets;  // file "L"; only host/port/description/line compared
    std::vector<int> error_lines;
};

class ParseListCases : public ::testing::TestWithParam<Case> {};

TEST_P(ParseListCases, YieldsTargetsAndErrors) {
    auto const& c = GetParam();
    auto const got = parse_list(c.text, "L");
    ASSERT_EQ(got.targets.size(), c.targets.size());
    for (std::size_t i = 0; i < got.targets.size(); ++i) {
        EXPECT_EQ(got.targets[i].host, c.targets[i].host) << i;
        EXPECT_EQ(got.targets[i].port, c.targets[i].port) << i;
        EXPECT_EQ(got.targets[i].description, c.targets[i].description) << i;
        EXPECT_EQ(got.targets[i].line, c.targets[i].line) << i;
        EXPECT_EQ(got.targets[i].file, "L");
    }
    std::vector<int> lines;
    for (auto const& d : got.diagnostics) {
        if (d.severity == Diagnostic::Severity::error)
            lines.push_back(d.line);
    }
    EXPECT_EQ(lines, c.error_lines);
}

INSTANTIATE_TEST_SUITE_P(
    Seed, ParseListCases,
    ::testing::Values(
        Case{"seed_example",
             "# Host          Port  Description\ngoogle.com      443   Google Search\n"
             "1.1.1.1         53    Cloudflare DNS\n",
             {{.host = "google.com", .port = 443, .description = "Google Search", .line = 2},
              {.host = "1.1.1.1", .port = 53, .description = "Cloudflare DNS", .line = 3}},
             {}},
        Case{"description_joined_by_one_space",
             "h 1   My    Web\tServer  \n",
             {{.host = "h", .port = 1, .description = "My Web Server", .line = 1}},
             {}},
        Case{"no_description", "h 22\n", {{.host = "h", .port = 22, .line = 1}}, {}},
        Case{"blank_and_comment_lines",
             "\n   \n  # x 1\n#y 2\nh 2\n",
             {{.host = "h", .port = 2, .line = 5}},
             {}},
        Case{"crlf_and_lone_cr",
             "a 1 A\r\nb 2 B\rc 3 C",
             {{.host = "a", .port = 1, .description = "A", .line = 1},
              {.host = "b", .port = 2, .description = "B", .line = 2},
              {.host = "c", .port = 3, .description = "C", .line = 3}},
             {}},
        Case{"utf8_bom",
             "\xEF\xBB\xBFh 1 d\n",
             {{.host = "h", .port = 1, .description = "d", .line = 1}},
             {}},
        Case{"ipv6_literals",
             "::1 22 a\n[::1] 23 b\n",
             {{.host = "::1", .port = 22, .description = "a", .line = 1},
              {.host = "[::1]", .port = 23, .description = "b", .line = 2}},
             {}},
        Case{"korean_and_ideographic_space",
             "h 80 웹\xE3\x80\x80서버\n",
             {{.host = "h", .port = 80, .description = "웹 서버", .line = 1}},
             {}},
        Case{"bad_lines_reported_good_kept",
             "h\nh x\nh 0\nh 65536\nh -1\nok 5\nh 8o\n",
             {{.host = "ok", .port = 5, .line = 6}},
             {1, 2, 3, 4, 5, 7}},
        Case{"leading_zero_port", "h 0080\n", {{.host = "h", .port = 80, .line = 1}}, {}},
        Case{"hostile_description_is_data",
             "h 1 $(touch /tmp/x); rm `id` \"q\"\n",
             {{.host = "h", .port = 1, .description = "$(touch /tmp/x); rm `id` \"q\"", .line = 1}},
             {}},
        Case{"invalid_utf8_description_kept",
             "h 1 \xff\xfe ok\n",
             {{.host = "h", .port = 1, .description = "\xff\xfe ok", .line = 1}},
             {}},
        Case{"invalid_utf8_host_rejected", "\xff 1\n", {}, {1}},
        Case{"nul_byte_rejected", std::string("h 1 a\0b\n", 8), {}, {1}},
        Case{"bad_brackets", "[::1 1\n[] 2\n", {}, {1, 2}}),
    [](auto const& info) { return info.param.name; });

TEST(ParseList, DuplicateIsWarnedWithBothLinesAndCheckedOnce) {
    auto const got = parse_list("h 1 first\nx 2\nh 1 second\n", "port_check.lst");
    ASSERT_EQ(got.targets.size(), 2u);
    EXPECT_EQ(got.targets[0].description, "first");
    ASSERT_EQ(got.diagnostics.size(), 1u);
    EXPECT_EQ(got.diagnostics[0].severity, Diagnostic::Severity::warning);
    EXPECT_EQ(got.diagnostics[0].to_string(),
              "port_check.lst:3: warning: duplicate target h:1 (first at line 1); checked once, "
              "as line 1 says");
    EXPECT_FALSE(got.has_errors());
}

TEST(ParseList, ErrorNamesFileAndLine) {
    auto const got = parse_list("ok 1\nbad port\n", "/app/mng/port_check.lst");
    ASSERT_EQ(got.diagnostics.size(), 1u);
    EXPECT_EQ(got.diagnostics[0].to_string(),
              "/app/mng/port_check.lst:2: bad port 'port': expected a number from 1 to 65535");
    EXPECT_TRUE(got.has_errors());
}

TEST(ParseList, KeyAndConnectHost) {
    Target const t{.host = "[::1]", .port = 22};
    EXPECT_EQ(t.key(), "[::1]:22");
    EXPECT_EQ(t.connect_host(), "::1");
    EXPECT_EQ((Target{.host = "::1", .port = 22}.key()), "::1:22");
}

TEST(ParseList, VeryLongLineIsBoundedAndReported) {
    std::string text = "h 1 " + std::string(1 << 20, 'x') + "\n" + std::string(1 << 20, 'y') + "\n";
    auto const got = parse_list(text, "L");
    ASSERT_EQ(got.targets.size(), 1u);
    EXPECT_EQ(got.targets[0].description.size(), std::size_t{1} << 20);
    ASSERT_EQ(got.diagnostics.size(), 1u);
    EXPECT_LT(got.diagnostics[0].to_string().size(), 200u);
}

TEST(LoadList, MissingFileIsAnError) {
    test::TempDir dir;
    auto const r = load_list(dir / "nope.lst");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, std::errc::no_such_file_or_directory);
}

TEST(LoadList, ReadsFile) {
    test::TempDir dir;
    auto const p = dir.write("port_check.lst", "127.0.0.1 22 SSH\n");
    auto const r = load_list(p);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->targets.size(), 1u);
    EXPECT_EQ(r->targets[0].file, p.string());
}

}  // namespace
}  // namespace portwatch::config
