#include "notify/error.hpp"

namespace portwatch::notify {

namespace {

struct CodeInfo {
    char const* name;
    char const* message;
    DeliveryCondition condition;
};

/// The one table of names, messages and conditions.
CodeInfo const* info(int code) {
    using C = DeliveryCondition;
    static CodeInfo const table[] = {
        {"exit_status", "notifier exited with an error status", C::retryable},
        {"killed_by_signal", "notifier killed by a signal", C::retryable},
        {"timed_out", "notifier timed out", C::timeout},
        {"cannot_execute", "cannot execute the notifier", C::retryable},
        {"cannot_start", "cannot start the notifier", C::retryable},
        {"cancelled", "delivery cancelled", C::cancelled},
        {"http_status", "server answered with an error status", C::retryable},
        {"rate_limited", "server asked to slow down", C::retryable},
        {"rejected", "server rejected the message", C::permanent},
        {"connection_failed", "cannot reach the server", C::retryable},
        {"misconfigured", "notifier is not configured", C::permanent},
        {"unknown_status", "outcome of the notifier unknown", C::retryable},
    };
    constexpr int count = static_cast<int>(sizeof table / sizeof table[0]);
    return code >= 1 && code <= count ? &table[code - 1] : nullptr;
}

class DeliveryCategory final : public std::error_category {
  public:
    char const* name() const noexcept override { return "portwatch.notify"; }
    std::string message(int code) const override {
        auto const* i = info(code);
        return i ? i->message : "unknown delivery error";
    }
    std::error_condition default_error_condition(int code) const noexcept override {
        auto const* i = info(code);
        return i ? std::error_condition(i->condition) : std::error_condition(code, *this);
    }
};

class ConditionCategory final : public std::error_category {
  public:
    char const* name() const noexcept override { return "portwatch.notify.condition"; }
    std::string message(int c) const override {
        switch (static_cast<DeliveryCondition>(c)) {
            case DeliveryCondition::retryable:
                return "retryable";
            case DeliveryCondition::timeout:
                return "timeout";
            case DeliveryCondition::permanent:
                return "permanent";
            case DeliveryCondition::cancelled:
                return "cancelled";
        }
        return "unknown delivery condition";
    }
};

}  // namespace

std::error_category const& delivery_category() {
    static DeliveryCategory const category;
    return category;
}

std::error_category const& delivery_condition_category() {
    static ConditionCategory const category;
    return category;
}

std::error_code make_error_code(DeliveryError e) {
    return {static_cast<int>(e), delivery_category()};
}

std::error_condition make_error_condition(DeliveryCondition c) {
    return {static_cast<int>(c), delivery_condition_category()};
}

char const* delivery_error_name(DeliveryError e) {
    auto const* i = info(static_cast<int>(e));
    return i ? i->name : "unknown";
}

}  // namespace portwatch::notify
