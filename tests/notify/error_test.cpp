#include "notify/error.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace portwatch::notify {
namespace {

struct Case {
    DeliveryError error;
    std::string name;
    std::string message;
    DeliveryCondition condition;
};

TEST(DeliveryErrorTest, EveryCodeHasANameAMessageAndItsCondition) {
    using E = DeliveryError;
    using C = DeliveryCondition;
    std::vector<Case> const cases = {
        {E::exit_status, "exit_status", "notifier exited with an error status", C::retryable},
        {E::killed_by_signal, "killed_by_signal", "notifier killed by a signal", C::retryable},
        {E::timed_out, "timed_out", "notifier timed out", C::timeout},
        {E::cannot_execute, "cannot_execute", "cannot execute the notifier", C::retryable},
        {E::cannot_start, "cannot_start", "cannot start the notifier", C::retryable},
        {E::cancelled, "cancelled", "delivery cancelled", C::cancelled},
        {E::http_status, "http_status", "server answered with an error status", C::retryable},
        {E::rate_limited, "rate_limited", "server asked to slow down", C::retryable},
        {E::rejected, "rejected", "server rejected the message", C::permanent},
        {E::connection_failed, "connection_failed", "cannot reach the server", C::retryable},
        {E::misconfigured, "misconfigured", "notifier is not configured", C::permanent},
        {E::unknown_status, "unknown_status", "outcome of the notifier unknown", C::retryable},
    };
    for (auto const& c : cases) {
        SCOPED_TRACE(c.name);
        std::error_code const ec = c.error;
        EXPECT_EQ(&ec.category(), &delivery_category());
        EXPECT_STREQ(ec.category().name(), "portwatch.notify");
        EXPECT_EQ(delivery_error_name(c.error), c.name);
        EXPECT_EQ(ec.message(), c.message);
        EXPECT_TRUE(ec == c.condition);
        for (auto const other : {C::retryable, C::timeout, C::permanent, C::cancelled}) {
            if (other != c.condition) {
                EXPECT_FALSE(ec == other);
            }
        }
    }
    // Every enumerator is in the table above.
    EXPECT_EQ(cases.size(), static_cast<std::size_t>(E::unknown_status));
}

TEST(DeliveryErrorTest, ConditionsHaveNames) {
    EXPECT_STREQ(delivery_condition_category().name(), "portwatch.notify.condition");
    EXPECT_EQ(std::error_condition(DeliveryCondition::retryable).message(), "retryable");
    EXPECT_EQ(std::error_condition(DeliveryCondition::timeout).message(), "timeout");
    EXPECT_EQ(std::error_condition(DeliveryCondition::permanent).message(), "permanent");
    EXPECT_EQ(std::error_condition(DeliveryCondition::cancelled).message(), "cancelled");
}

TEST(DeliveryErrorTest, OtherCategoriesAreNoCondition) {
    std::error_code const io = std::make_error_code(std::errc::timed_out);
    EXPECT_FALSE(io == DeliveryCondition::timeout);
    std::error_code const unknown(999, delivery_category());
    EXPECT_EQ(unknown.message(), "unknown delivery error");
    EXPECT_FALSE(unknown == DeliveryCondition::retryable);
}

TEST(DeliveryResultTest, OkMeansNoError) {
    EXPECT_TRUE(DeliveryResult{}.ok());
    EXPECT_FALSE((DeliveryResult{DeliveryError::exit_status, "exit status 1", {}}).ok());
}

}  // namespace
}  // namespace portwatch::notify
