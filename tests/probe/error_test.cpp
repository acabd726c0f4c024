#include "probe/error.hpp"

#include <gtest/gtest.h>

#include <string>

#include "probe/probe.hpp"
#include "probe/registry.hpp"

namespace portwatch::probe {
namespace {

struct ErrorCase {
    ProbeError code;
    char const* name;
    char const* message;
    ProbeCondition condition;
};

class ProbeErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ProbeErrors, NameMessageAndCondition) {
    auto const& c = GetParam();
    std::error_code const ec = c.code;
    EXPECT_STREQ(probe_error_name(c.code), c.name);
    EXPECT_EQ(reason_name(ec), c.name);
    EXPECT_EQ(ec.message(), c.message);
    EXPECT_EQ(ec, c.condition);
    for (auto const other :
         {ProbeCondition::target_failed, ProbeCondition::host_failed, ProbeCondition::cancelled}) {
        EXPECT_EQ(ec == other, other == c.condition) << static_cast<int>(other);
    }
}

TEST_P(ProbeErrors, NameRoundTrips) {
    auto const& c = GetParam();
    EXPECT_EQ(probe_error_from_name(c.name), c.code);
    EXPECT_EQ(reason_from_name(c.name), make_error_code(c.code));
}

TEST_P(ProbeErrors, ResultHelpersFollowTheCondition) {
    auto const& c = GetParam();
    ProbeResult const r{.error = c.code};
    EXPECT_EQ(r.reason(), c.name);
    EXPECT_EQ(r.is_local(), c.condition == ProbeCondition::host_failed);
    EXPECT_EQ(r.is_cancelled(), c.condition == ProbeCondition::cancelled);
}

constexpr auto target = ProbeCondition::target_failed;

INSTANTIATE_TEST_SUITE_P(
    All, ProbeErrors,
    ::testing::Values(
        ErrorCase{ProbeError::refused, "refused", "connection refused", target},
        ErrorCase{ProbeError::timeout, "timeout", "no answer before the deadline", target},
        ErrorCase{ProbeError::host_unreachable, "host-unreachable", "host unreachable", target},
        ErrorCase{ProbeError::network_unreachable, "network-unreachable", "network unreachable",
                  target},
        ErrorCase{ProbeError::dns_nxdomain, "dns-nxdomain", "name does not exist or has no address",
                  target},
        ErrorCase{ProbeError::dns_timeout, "dns-timeout", "name resolution timed out", target},
        ErrorCase{ProbeError::dns_failure, "dns-failure", "name resolution failed", target},
        ErrorCase{ProbeError::connect_failed, "connect-failed", "connect failed", target},
        ErrorCase{ProbeError::cancelled, "cancelled", "probe cancelled", ProbeCondition::cancelled},
        ErrorCase{ProbeError::no_file_descriptor, "no-file-descriptor",
                  "no file descriptor available", ProbeCondition::host_failed},
        ErrorCase{ProbeError::unsupported_kind, "unsupported-kind", "probe kind not supported",
                  ProbeCondition::host_failed}),
    [](auto const& info) {
        std::string n = info.param.name;
        for (auto& ch : n) {
            if (ch == '-') {
                ch = '_';
            }
        }
        return n;
    });

TEST(ProbeErrorNames, NoneIsEmpty) {
    EXPECT_STREQ(probe_error_name(ProbeError::none), "");
    EXPECT_EQ(probe_error_from_name(""), ProbeError::none);
    EXPECT_FALSE(make_error_code(ProbeError::none));
    EXPECT_EQ(reason_name({}), "");
    EXPECT_FALSE(reason_from_name(""));
    ProbeResult const up{.up = true};
    EXPECT_EQ(up.reason(), "");
    EXPECT_FALSE(up.is_local());
    EXPECT_FALSE(up.is_cancelled());
}

TEST(ProbeErrorNames, UnknownNameIsNone) {
    EXPECT_EQ(probe_error_from_name("bogus"), ProbeError::none);
    EXPECT_EQ(probe_error_from_name("REFUSED"), ProbeError::none);
    EXPECT_FALSE(reason_from_name("bogus"));
}

TEST(ProbeErrorNames, CategoriesHaveStableNames) {
    std::error_code const ec = ProbeError::refused;
    EXPECT_EQ(ec, make_error_code(ProbeError::refused));
    EXPECT_STREQ(probe_category().name(), "portwatch.probe");
    EXPECT_STREQ(probe_condition_category().name(), "portwatch.probe.condition");
    EXPECT_EQ(std::error_condition(ProbeCondition::host_failed).message(),
              "this host could not probe");
}

TEST(ProbeErrorNames, ForeignCodesAreNamedByCategoryAndValue) {
    auto const ec = std::make_error_code(std::errc::connection_refused);
    EXPECT_EQ(reason_name(ec), std::string("generic:") + std::to_string(ec.value()));
    EXPECT_FALSE(ec == ProbeCondition::target_failed);
}

}  // namespace
}  // namespace portwatch::probe
