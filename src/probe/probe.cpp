#include "probe/probe.hpp"

#include <array>
#include <string_view>

namespace portwatch::probe {

namespace {

struct ErrorInfo {
    ProbeError code;
    char const* name;
    char const* message;
};

// The one place that names and describes each code.
constexpr std::array<ErrorInfo, 9> error_table{{
    {ProbeError::none, "", "success"},
    {ProbeError::refused, "refused", "connection refused"},
    {ProbeError::timeout, "timeout", "no answer before the deadline"},
    {ProbeError::host_unreachable, "host-unreachable", "host unreachable"},
    {ProbeError::network_unreachable, "network-unreachable", "network unreachable"},
    {ProbeError::dns_nxdomain, "dns-nxdomain", "name does not exist or has no address"},
    {ProbeError::dns_timeout, "dns-timeout", "name resolution timed out"},
    {ProbeError::dns_failure, "dns-failure", "name resolution failed"},
    {ProbeError::connect_failed, "connect-failed", "connect failed"},
}};

ErrorInfo const* find_info(ProbeError e) {
    for (auto const& info : error_table) {
        if (info.code == e) {
            return &info;
        }
    }
    return nullptr;
}

class ProbeCategory final : public std::error_category {
  public:
    char const* name() const noexcept override { return "portwatch.probe"; }

    std::string message(int ev) const override {
        auto const* info = find_info(static_cast<ProbeError>(ev));
        return info != nullptr ? info->message : "unknown probe error";
    }
};

}  // namespace

char const* probe_error_name(ProbeError e) {
    auto const* info = find_info(e);
    return info != nullptr ? info->name : "";
}

ProbeError probe_error_from_name(std::string const& name) {
    if (name.empty()) {
        return ProbeError::none;
    }
    for (auto const& info : error_table) {
        if (name == info.name) {
            return info.code;
        }
    }
    return ProbeError::none;
}

std::error_category const& probe_category() {
    static ProbeCategory const category;
    return category;
}

std::error_code make_error_code(ProbeError e) {
    return {static_cast<int>(e), probe_category()};
}

}  // namespace portwatch::probe
