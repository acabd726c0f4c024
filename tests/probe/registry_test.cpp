#include "probe/registry.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "probe/tcp.hpp"

namespace portwatch::probe {
namespace {

TEST(ProbeRegistry, TcpIsRegisteredFirst) {
    ASSERT_FALSE(kinds().empty());
    EXPECT_EQ(kinds()[0], &tcp_kind);
    EXPECT_EQ(find_kind("tcp"), &tcp_kind);
    EXPECT_EQ(kind_names().front(), "tcp");
}

TEST(ProbeRegistry, TcpIsTheFastPath) {
    EXPECT_EQ(tcp_kind.transport(), Kind::Transport::stream);
    EXPECT_FALSE(tcp_kind.has_steps());
    EXPECT_FALSE(tcp_kind.has_steps(ProbeRequest{}));  // no options: no steps
}

TEST(ProbeRegistry, UnknownKindIsAbsent) {
    EXPECT_EQ(find_kind("gopher"), nullptr);
    EXPECT_EQ(find_kind(""), nullptr);
    EXPECT_EQ(find_kind("TCP"), nullptr);
}

TEST(ProbeRegistry, EveryKindHasAUniqueName) {
    std::set<std::string_view> seen;
    for (auto const* k : kinds()) {
        ASSERT_NE(k, nullptr);
        EXPECT_FALSE(k->name().empty());
        EXPECT_TRUE(seen.insert(k->name()).second) << k->name();
        EXPECT_EQ(find_kind(k->name()), k);
    }
    EXPECT_EQ(seen.size(), kind_names().size());
}

// State files keep reasons by name: no two kinds may name an error alike.
TEST(ProbeRegistry, ErrorNamesAreUniqueAcrossKinds) {
    std::set<std::string> seen;
    for (int ev = 1; *probe_category().name_of(ev) != '\0'; ++ev) {
        EXPECT_TRUE(seen.insert(probe_category().name_of(ev)).second);
    }
    for (auto const* k : kinds()) {
        if (auto const* cat = k->errors()) {
            for (int ev = 1; *cat->name_of(ev) != '\0'; ++ev) {
                EXPECT_TRUE(seen.insert(cat->name_of(ev)).second) << cat->name_of(ev);
                EXPECT_EQ(reason_from_name(cat->name_of(ev)), std::error_code(ev, *cat));
                EXPECT_TRUE(std::error_code(ev, *cat) == ProbeCondition::target_failed ||
                            std::error_code(ev, *cat) == ProbeCondition::host_failed ||
                            std::error_code(ev, *cat) == ProbeCondition::cancelled)
                    << cat->name_of(ev);
            }
        }
    }
    EXPECT_GE(seen.size(), 11u);
}

TEST(ProbeRegistry, SchemaHasEveryKindAndTcpRejectsUnknownOptions) {
    auto const s = schema();
    for (auto const name : kind_names()) {
        EXPECT_TRUE(s.kinds.contains(name)) << name;
    }
    config::OptionBag bag{.file = "p.yaml", .path = "targets[0]"};
    bag.entries.push_back(config::Option{.key = "sni", .line = 3, .column = 5});
    config::Diagnostics out;
    EXPECT_EQ(parse_options("tcp", bag, out), nullptr);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].to_string(),
              "p.yaml:3:5: targets[0].sni: unknown key (kind tcp takes send, expect, steps, "
              "starttls, tls)");
    out.clear();
    s.kinds.at("tcp").validate(config::OptionBag{}, out);
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace portwatch::probe
