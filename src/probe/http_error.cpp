#include "probe/http.hpp"

#include <array>

namespace portwatch::probe {

namespace {

struct HttpErrorInfo {
    HttpError code;
    char const* name;
    char const* message;
};

// The one place that names and describes each code; all are the target's failure.
constexpr std::array<HttpErrorInfo, 5> http_error_table{{
    {HttpError::status, "http-status", "unexpected HTTP status"},
    {HttpError::body, "http-body", "HTTP body does not match"},
    {HttpError::redirects, "http-redirects", "too many HTTP redirects"},
    {HttpError::protocol, "http-protocol", "malformed HTTP response"},
    {HttpError::timeout, "http-timeout", "no HTTP answer before the deadline"},
}};

HttpErrorInfo const* find_http_info(int ev) {
    for (auto const& info : http_error_table) {
        if (static_cast<int>(info.code) == ev) {
            return &info;
        }
    }
    return nullptr;
}

class HttpCategory final : public ProbeCategory {
  public:
    char const* name() const noexcept override { return "portwatch.probe.http"; }

    std::string message(int ev) const override {
        auto const* info = find_http_info(ev);
        return info != nullptr ? info->message : "unknown HTTP probe error";
    }

    std::error_condition default_error_condition(int ev) const noexcept override {
        if (find_http_info(ev) == nullptr) {
            return {ev, *this};
        }
        return make_error_condition(ProbeCondition::target_failed);
    }

    char const* name_of(int ev) const noexcept override {
        auto const* info = find_http_info(ev);
        return info != nullptr ? info->name : "";
    }

    int from_name(std::string_view name) const noexcept override {
        for (auto const& info : http_error_table) {
            if (name == info.name) {
                return static_cast<int>(info.code);
            }
        }
        return 0;
    }
};

}  // namespace

ProbeCategory const& http_category() {
    static HttpCategory const category;
    return category;
}

std::error_code make_error_code(HttpError e) {
    return {static_cast<int>(e), http_category()};
}

}  // namespace portwatch::probe
