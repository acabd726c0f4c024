#include "probe/http.hpp"

#include <array>

#include "probe/named_category.hpp"

namespace portwatch::probe {

namespace {

// The one place that names and describes each code; all are the target's failure.
NamedCategory<5> const category{
    "portwatch.probe.http",
    {{
        {static_cast<int>(HttpError::status), "http-status", "unexpected HTTP status",
         ProbeCondition::target_failed},
        {static_cast<int>(HttpError::body), "http-body", "HTTP body does not match",
         ProbeCondition::target_failed},
        {static_cast<int>(HttpError::redirects), "http-redirects", "too many HTTP redirects",
         ProbeCondition::target_failed},
        {static_cast<int>(HttpError::protocol), "http-protocol", "malformed HTTP response",
         ProbeCondition::target_failed},
        {static_cast<int>(HttpError::timeout), "http-timeout", "no HTTP answer before the deadline",
         ProbeCondition::target_failed},
    }}};

}  // namespace

ProbeCategory const& http_category() {
    return category;
}

std::error_code make_error_code(HttpError e) {
    return {static_cast<int>(e), http_category()};
}

}  // namespace portwatch::probe
