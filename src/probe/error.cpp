#include "probe/error.hpp"

#include <array>

namespace portwatch::probe {

namespace {

struct ErrorInfo {
    ProbeError code;
    char const* name;
    char const* message;
    ProbeCondition condition;
};

// The one place that names, describes and classifies each code.
constexpr std::array<ErrorInfo, 12> error_table{{
    {ProbeError::none, "", "success", ProbeCondition{}},
    {ProbeError::refused, "refused", "connection refused", ProbeCondition::target_failed},
    {ProbeError::timeout, "timeout", "no answer before the deadline",
     ProbeCondition::target_failed},
    {ProbeError::host_unreachable, "host-unreachable", "host unreachable",
     ProbeCondition::target_failed},
    {ProbeError::network_unreachable, "network-unreachable", "network unreachable",
     ProbeCondition::target_failed},
    {ProbeError::dns_nxdomain, "dns-nxdomain", "name does not exist or has no address",
     ProbeCondition::target_failed},
    {ProbeError::dns_timeout, "dns-timeout", "name resolution timed out",
     ProbeCondition::target_failed},
    {ProbeError::dns_failure, "dns-failure", "name resolution failed",
     ProbeCondition::target_failed},
    {ProbeError::connect_failed, "connect-failed", "connect failed", ProbeCondition::target_failed},
    {ProbeError::cancelled, "cancelled", "probe cancelled", ProbeCondition::cancelled},
    {ProbeError::no_file_descriptor, "no-file-descriptor", "no file descriptor available",
     ProbeCondition::host_failed},
    {ProbeError::unsupported_kind, "unsupported-kind", "probe kind not supported",
     ProbeCondition::host_failed},
}};

ErrorInfo const* find_info(int ev) {
    for (auto const& info : error_table) {
        if (static_cast<int>(info.code) == ev) {
            return &info;
        }
    }
    return nullptr;
}

class EngineCategory final : public ProbeCategory {
  public:
    char const* name() const noexcept override { return "portwatch.probe"; }

    std::string message(int ev) const override {
        auto const* info = find_info(ev);
        return info != nullptr ? info->message : "unknown probe error";
    }

    std::error_condition default_error_condition(int ev) const noexcept override {
        auto const* info = find_info(ev);
        if (info == nullptr || info->code == ProbeError::none) {
            return {ev, *this};
        }
        return make_error_condition(info->condition);
    }

    char const* name_of(int ev) const noexcept override {
        auto const* info = find_info(ev);
        return info != nullptr ? info->name : "";
    }

    int from_name(std::string_view name) const noexcept override {
        if (name.empty()) {
            return 0;
        }
        for (auto const& info : error_table) {
            if (name == info.name) {
                return static_cast<int>(info.code);
            }
        }
        return 0;
    }
};

class ConditionCategory final : public std::error_category {
  public:
    char const* name() const noexcept override { return "portwatch.probe.condition"; }

    std::string message(int ev) const override {
        switch (static_cast<ProbeCondition>(ev)) {
            case ProbeCondition::target_failed:
                return "the target failed";
            case ProbeCondition::host_failed:
                return "this host could not probe";
            case ProbeCondition::cancelled:
                return "the probe was cancelled";
        }
        return "unknown probe condition";
    }
};

}  // namespace

char const* probe_error_name(ProbeError e) {
    return probe_category().name_of(static_cast<int>(e));
}

ProbeError probe_error_from_name(std::string_view name) {
    return static_cast<ProbeError>(probe_category().from_name(name));
}

ProbeCategory const& probe_category() {
    static EngineCategory const category;
    return category;
}

std::error_category const& probe_condition_category() {
    static ConditionCategory const category;
    return category;
}

std::error_code make_error_code(ProbeError e) {
    return {static_cast<int>(e), probe_category()};
}

std::error_condition make_error_condition(ProbeCondition c) {
    return {static_cast<int>(c), probe_condition_category()};
}

std::string reason_name(std::error_code ec) {
    if (!ec) {
        return {};
    }
    if (&ec.category() == &probe_category()) {
        return probe_category().name_of(ec.value());
    }
    if (auto const* cat = dynamic_cast<ProbeCategory const*>(&ec.category())) {
        return cat->name_of(ec.value());
    }
    return std::string(ec.category().name()) + ":" + std::to_string(ec.value());
}

}  // namespace portwatch::probe
