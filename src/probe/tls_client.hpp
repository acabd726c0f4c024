#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "config/options.hpp"
#include "probe/kind.hpp"

// The TLS client every TLS-speaking kind shares (tls, tcp with starttls, https): the `tls:`
// options, their OpenSSL context, the handshake on a connected socket with SNI and
// verification, the leaf certificate's facts, and the failures by name.
namespace portwatch::probe {

/// Why a TLS handshake or its verification failed.
enum class TlsError {
    none = 0,
    handshake,       ///< "tls-handshake": no TLS session (protocol error, closed, alert)
    cert_expired,    ///< "cert-expired": the leaf is past its notAfter (or not yet valid)
    cert_untrusted,  ///< "cert-untrusted": no chain to a trusted CA (self-signed, unknown CA)
    cert_hostname,   ///< "cert-hostname": the leaf does not name the server
};

/// The category of TlsError ("portwatch.probe.tls"); every code is a target failure.
ProbeCategory const& tls_category();
std::error_code make_error_code(TlsError e);

/// The `tls:` mapping of a target, parsed once at load.
struct TlsOptions {
    /// SNI and the name verified; empty: the target's host (SNI only when not an IP literal).
    std::string server_name;
    bool verify = true;
    std::string ca_file;    ///< empty: the system's CAs
    std::string cert_file;  ///< client certificate (chain, PEM), with key_file
    std::string key_file;
    std::string min_version;  ///< "1.0", "1.1", "1.2", "1.3"; empty: OpenSSL's default
    /// Warn this long before the leaf expires (the lead's expiry events read it); unset: never.
    std::optional<std::chrono::seconds> expiry_warn;
    /// Built from the above at parse time (shared by targets with equal settings).
    std::shared_ptr<boost::asio::ssl::context> context;
};

/// Parses a `tls:` option (a mapping; null `tls`: the defaults) and builds its context.
/// Errors (unknown keys, bad values, unreadable files) go to `out` at FILE:LINE:COLUMN;
/// nullopt then.
std::optional<TlsOptions> parse_tls_options(config::OptionBag const& bag, config::Option const* tls,
                                            config::Diagnostics& out);

/// The TLS stream over a socket the engine owns.
using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;

/// One TLS client session on a connected socket: SNI and the name check set up from
/// `options` and `host` (the target's host, used when server_name is empty). Keeps what it
/// needs of `options` (its context too); the socket must outlive it.
///
///     auto tls = std::make_shared<TlsClient>(opts, step.socket, step.request.host);
///     tls->handshake(step.start, [tls](StepResult r) { ... tls->stream() ... });
class TlsClient : public std::enable_shared_from_this<TlsClient> {
  public:
    TlsClient(TlsOptions const& options, boost::asio::ip::tcp::socket& socket,
              std::string_view host);
    ~TlsClient();
    TlsClient(TlsClient const&) = delete;
    TlsClient& operator=(TlsClient const&) = delete;

    TlsStream& stream() { return stream_; }

    /// Runs the handshake and the verification; `done` gets an empty error when both passed,
    /// else a TlsError (with "tls handshake with ADDR: ..." in the detail); the facts hold the
    /// leaf certificate (also when verification failed or is off), the version and tls_time
    /// (from `start`). No deadline of its own: the caller closes the socket to stop it.
    void handshake(std::chrono::steady_clock::time_point start, StepDone done);

    /// Sends close_notify without waiting for the peer's, then calls `done` (error ignored).
    void close_notify(std::function<void()> done);

  private:
    struct Verify;
    void on_handshake(boost::system::error_code ec, std::chrono::steady_clock::time_point start,
                      StepDone const& done);

    std::shared_ptr<boost::asio::ssl::context> context_;  // outlives stream_
    bool check_;                                          // options.verify
    TlsStream stream_;
    std::string name_;
    std::shared_ptr<Verify> verify_;
};

/// When the lead's expiry warning applies: `expiry_warn` of a kind's options (tls, tcp with
/// starttls); nullopt for other options or when not set.
std::optional<std::chrono::seconds> expiry_warn_of(KindOptions const* options);

/// A kind's options that carry TLS settings derive from this, so expiry_warn_of finds them.
struct HasTls {
    virtual ~HasTls() = default;
    virtual TlsOptions const* tls() const = 0;
};

}  // namespace portwatch::probe

namespace std {
template <>
struct is_error_code_enum<portwatch::probe::TlsError> : true_type {};
}  // namespace std
