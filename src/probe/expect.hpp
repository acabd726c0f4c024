#pragma once

#include <cstddef>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "probe/kind.hpp"
#include "probe/tls_client.hpp"

// A conversation on a connected stream: send/expect steps in order, then STARTTLS and a TLS
// handshake where asked, then a graceful close; for kind tcp with options and kind tls.
namespace portwatch::probe {

/// Why a conversation failed before or besides TLS (TLS failures are TlsError).
enum class StreamError {
    none = 0,
    expect_mismatch,  ///< "expect-mismatch": the peer closed, or 4 KiB came, without a match
    expect_timeout,   ///< "expect-timeout": no match before the deadline
    starttls_failed,  ///< "starttls-failed": the server refused or garbled the STARTTLS dialogue
};

/// The category of StreamError ("portwatch.probe.stream"); every code is a target failure.
ProbeCategory const& stream_category();
std::error_code make_error_code(StreamError e);

/// What one step reads at most before it gives up (expect-mismatch).
inline constexpr std::size_t expect_read_limit = 4096;

/// One step: write `send` (may be empty), then read until `expect` matches what arrived since
/// the previous match (no `expect`: go on at once).
struct ExpectStep {
    std::string send;
    std::optional<std::regex> expect;
    std::string expect_text;  ///< the pattern as written, for details
    /// STARTTLS: the reply `expect` found must also match this, or starttls-failed.
    std::optional<std::regex> accept;
};

/// What a conversation does, built once from a target's options.
struct StreamPlan {
    std::vector<ExpectStep> steps;
    std::string starttls_name;         ///< "smtp", ...; empty: no STARTTLS
    std::vector<ExpectStep> starttls;  ///< the STARTTLS dialogue (starttls.hpp)
    TlsOptions const* tls = nullptr;   ///< a TLS handshake after the above; null: none
};

/// Runs `plan` on the engine's socket with its own timer at step.deadline; calls `done` once,
/// with the TLS facts when there was a handshake.
void run_stream(StreamStep const& step, std::shared_ptr<KindOptions const> keep,
                StreamPlan const& plan, StepDone done);

/// Decodes \r \n \t \0 \\ \xHH; nullopt (with `error` set) on another escape.
std::optional<std::string> decode_escapes(std::string_view text, std::string& error);
/// Bytes for a detail: printable ASCII as is, the rest escaped as decode_escapes reads them,
/// at most `limit` input bytes (then "...").
std::string escape_bytes(std::string_view bytes, std::size_t limit = 256);

}  // namespace portwatch::probe

namespace std {
template <>
struct is_error_code_enum<portwatch::probe::StreamError> : true_type {};
}  // namespace std
