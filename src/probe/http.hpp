#pragma once

#include <system_error>

#include "probe/kind.hpp"

namespace portwatch::probe {

/// Why an HTTP(S) probe failed after the connect. Names are stable (state files, metrics).
enum class HttpError {
    none = 0,
    status,     ///< "http-status": the final status is not in the expected set (detail: code)
    body,       ///< "http-body": the body (first 64 KiB) does not match the regex
    redirects,  ///< "http-redirects": more redirects than `follow_redirects`
    protocol,   ///< "http-protocol": malformed response, or closed before one
    timeout,    ///< "http-timeout": no complete answer before the deadline
};

/// The HTTP kind's category ("portwatch.probe.http").
ProbeCategory const& http_category();
std::error_code make_error_code(HttpError e);

/// `kind: http`: GET (or any method) on `url` over the engine's connection, TLS for https,
/// then checks the status, the body and follows redirects as configured.
class HttpKind final : public Kind {
  public:
    constexpr HttpKind() : Kind("http", Transport::stream, true) {}

    ProbeCategory const* errors() const override { return &http_category(); }
    std::shared_ptr<KindOptions const> parse_options(config::OptionBag const& bag,
                                                     config::Diagnostics& out) const override;
    void complete_target(config::OptionBag const& bag, config::Target& target) const override;
    void run_steps(StreamStep step, StepDone done) const override;
};

/// The one instance, for the registry.
extern HttpKind const http_kind;

}  // namespace portwatch::probe

namespace std {
template <>
struct is_error_code_enum<portwatch::probe::HttpError> : true_type {};
}  // namespace std
