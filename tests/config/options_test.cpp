#include "config/options.hpp"

#include <gtest/gtest.h>

#include "config/target.hpp"

namespace portwatch::config {
namespace {

OptionBag bag_of(std::initializer_list<char const*> keys) {
    OptionBag bag{.file = "p.yaml", .path = "targets[2]"};
    int line = 10;
    for (auto const* k : keys) {
        bag.entries.push_back(Option{.key = k, .line = line++, .column = 5});
    }
    return bag;
}

TEST(OptionBag, FindsByKeyInFileOrder) {
    auto const bag = bag_of({"sni", "alpn"});
    ASSERT_NE(bag.find("alpn"), nullptr);
    EXPECT_EQ(bag.find("alpn")->line, 11);
    EXPECT_EQ(bag.find("nope"), nullptr);
    EXPECT_FALSE(bag.empty());
    EXPECT_TRUE(OptionBag{}.empty());
}

TEST(OptionBag, ErrorsCarryFileLineColumnAndPath) {
    auto const bag = bag_of({"sni"});
    Diagnostics out;
    bag.error(out, bag.entries[0], "expected a name");
    OptionNode const item{.type = OptionNode::Type::scalar, .scalar = "", .line = 12, .column = 9};
    bag.error(out, item, "alpn[0]", "empty");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].to_string(), "p.yaml:10:5: targets[2].sni: expected a name");
    EXPECT_EQ(out[1].to_string(), "p.yaml:12:9: targets[2].alpn[0]: empty");
}

TEST(OptionBag, RejectAllOptionsNamesEveryKey) {
    Diagnostics out;
    reject_all_options(bag_of({"a", "b"}), out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].to_string(), "p.yaml:10:5: targets[2].a: unknown key");
    EXPECT_EQ(out[1].to_string(), "p.yaml:11:5: targets[2].b: unknown key");
    out.clear();
    reject_all_options(OptionBag{}, out);
    EXPECT_TRUE(out.empty());
}

TEST(Schema, DefaultKnowsOnlyTcp) {
    Schema const s;
    ASSERT_EQ(s.kinds.size(), 1u);
    EXPECT_TRUE(s.kinds.contains("tcp"));
}

TEST(TargetKey, TcpKeepsTheSeedKeyOtherKindsArePrefixed) {
    Target t{.host = "db1", .port = 5432};
    EXPECT_EQ(t.kind, "tcp");
    EXPECT_EQ(t.key(), "db1:5432");
    t.kind = "tls";
    EXPECT_EQ(t.key(), "tls://db1:5432");
    Target const v6{.host = "[::1]", .port = 443, .kind = "tls"};
    EXPECT_EQ(v6.key(), "tls://[::1]:443");
}

}  // namespace
}  // namespace portwatch::config
