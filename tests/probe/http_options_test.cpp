// The http kind's options: the URL and what it derives, FILE:LINE:COLUMN errors, redirects
// Location references.
#include "probe/http_options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "probe/http.hpp"
#include "probe/http_support.hpp"

namespace portwatch::probe {
namespace {

using http_test::list;
using http_test::map;
using http_test::opt;
using http_test::scalar;

TEST(HttpOptions, UrlDerivesHostPortAndKey) {
    config::OptionBag bag{.file = "t.yaml", .path = "targets[0]"};
    bag.entries.push_back(opt("url", scalar("https://[::1]/health?x=1#frag")));
    config::Diagnostics out;
    auto const o = std::dynamic_pointer_cast<HttpOptions const>(http_kind.parse_options(bag, out));
    ASSERT_TRUE(o);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(o->url,
              (HttpUrl{.https = true, .host = "::1", .port = 443, .target = "/health?x=1"}));
    config::Target t{.kind = "http"};
    http_kind.complete_target(bag, t);
    EXPECT_EQ(t.host, "[::1]");
    EXPECT_EQ(t.connect_host(), "::1");
    EXPECT_EQ(t.port, 443);
    EXPECT_EQ(t.key(), "https://[::1]/health?x=1#frag");
}

TEST(HttpOptions, ErrorsCarryFileLineColumn) {
    config::OptionBag bag{.file = "t.yaml", .path = "targets[2]"};
    auto at = [](config::OptionNode n, int line, int column) {
        n.line = line;
        n.column = column;
        return n;
    };
    bag.entries.push_back(opt("url", at(scalar("ftp://x/"), 3, 10)));
    bag.entries.push_back(opt(
        "http",
        map({opt("status", at(list({at(scalar("20"), 4, 20)}), 4, 19)),
             opt("body", at(scalar("("), 5, 12)), opt("follow_redirects", at(scalar("-1"), 6, 30)),
             opt("colour", at(scalar("red"), 7, 5))})));
    config::Diagnostics out;
    EXPECT_EQ(http_kind.parse_options(bag, out), nullptr);
    std::vector<std::string> got;
    for (auto const& d : out) {
        got.push_back(d.to_string());
    }
    ASSERT_EQ(got.size(), 5u) << fmt::format("{}", fmt::join(got, "\n"));
    EXPECT_EQ(got[0], "t.yaml:3:10: targets[2].url: the scheme must be http or https, not 'ftp'");
    EXPECT_EQ(got[1],
              "t.yaml:4:20: targets[2].http.status[0]: expected a status code (100-599) or a class "
              "such as 2xx");
    EXPECT_EQ(got[2].rfind("t.yaml:5:12: targets[2].http.body: bad regex: ", 0), 0u) << got[2];
    EXPECT_EQ(got[3],
              "t.yaml:6:30: targets[2].http.follow_redirects: expected an integer from 0 to 20");
    EXPECT_EQ(got[4].rfind("t.yaml:7:5: targets[2].http.colour: unknown key", 0), 0u) << got[4];
}

TEST(HttpOptions, UrlIsRequired) {
    config::OptionBag bag{.file = "t.yaml", .path = "targets[0]"};
    bag.entries.push_back(opt("http", map({opt("method", scalar("GET"))})));
    config::Diagnostics out;
    EXPECT_EQ(http_kind.parse_options(bag, out), nullptr);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].to_string(), "t.yaml:1:1: targets[0]: kind http needs url");
}

TEST(HttpUrl, LocationsResolveAgainstTheBase) {
    std::string why;
    auto const base = parse_http_url("http://h:8080/a/b?q=1", why);
    ASSERT_TRUE(base);
    auto text = [&](std::string_view loc) {
        auto const u = resolve_location(*base, loc, why);
        return u ? u->text() : "error: " + why;
    };
    EXPECT_EQ(text("/x"), "http://h:8080/x");
    EXPECT_EQ(text("c?d"), "http://h:8080/a/c?d");
    EXPECT_EQ(text("?z"), "http://h:8080/a/b?z");
    EXPECT_EQ(text("//other/p"), "http://other/p");
    EXPECT_EQ(text("HTTPS://other:443"), "https://other/");
    EXPECT_EQ(text("ftp://x/"), "error: the scheme must be http or https, not 'ftp'");
    EXPECT_EQ(text("/a b"), "error: Location holds spaces or control characters");
}

}  // namespace
}  // namespace portwatch::probe
