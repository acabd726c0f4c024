#include "probe/probe.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portwatch::probe {
namespace {

struct NameCase {
    ProbeError code;
    char const* name;
};

class ProbeErrorNames : public ::testing::TestWithParam<NameCase> {};

TEST_P(ProbeErrorNames, RoundTrip) {
    auto const& c = GetParam();
    EXPECT_STREQ(probe_error_name(c.code), c.name);
    EXPECT_EQ(probe_error_from_name(c.name), c.code);
    auto const ec = make_error_code(c.code);
    EXPECT_EQ(&ec.category(), &probe_category());
    EXPECT_EQ(ec.value(), static_cast<int>(c.code));
    EXPECT_FALSE(ec.message().empty());
    EXPECT_EQ(static_cast<bool>(ec), c.code != ProbeError::none);
}

INSTANTIATE_TEST_SUITE_P(
    All, ProbeErrorNames,
    ::testing::Values(NameCase{ProbeError::none, ""}, NameCase{ProbeError::refused, "refused"},
                      NameCase{ProbeError::timeout, "timeout"},
                      NameCase{ProbeError::host_unreachable, "host-unreachable"},
                      NameCase{ProbeError::network_unreachable, "network-unreachable"},
                      NameCase{ProbeError::dns_nxdomain, "dns-nxdomain"},
                      NameCase{ProbeError::dns_timeout, "dns-timeout"},
                      NameCase{ProbeError::dns_failure, "dns-failure"},
                      NameCase{ProbeError::connect_failed, "connect-failed"}),
    [](auto const& info) {
        std::string n = info.param.name;
        if (n.empty()) {
            return std::string("none");
        }
        for (auto& ch : n) {
            if (ch == '-') {
                ch = '_';
            }
        }
        return n;
    });

TEST(ProbeErrorNames, UnknownNameIsNone) {
    EXPECT_EQ(probe_error_from_name("bogus"), ProbeError::none);
    EXPECT_EQ(probe_error_from_name("REFUSED"), ProbeError::none);
}

TEST(ProbeErrorNames, CategoryIsUsableAsErrorCode) {
    std::error_code ec = ProbeError::refused;
    EXPECT_EQ(ec, make_error_code(ProbeError::refused));
    EXPECT_STREQ(probe_category().name(), "portwatch.probe");
}

}  // namespace
}  // namespace portwatch::probe
