#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "support/background_process.hpp"
#include "support/temp_dir.hpp"

// What the TLS, STARTTLS and expect tests share: certificates made with the openssl CLI, and
// tests/probe/stream_server.py started on loopback.
namespace portwatch::test {

/// A certificate and its key.
struct CertPair {
    std::filesystem::path cert;
    std::filesystem::path key;
};

/// A CA and leaves made by the openssl CLI (EC P-256): every leaf names localhost,
/// 127.0.0.1 and ::1 unless said otherwise.
struct TestCerts {
    std::filesystem::path ca;  ///< the CA the tests trust (PEM)
    CertPair valid;            ///< 30 days
    CertPair soon;             ///< expires in 5 days
    CertPair expired;          ///< expired 5 days ago (made under faketime)
    CertPair wrong_host;       ///< names wrong.example only
    CertPair untrusted;        ///< signed by another CA, which nobody trusts
    CertPair client;           ///< a client certificate from the trusted CA
    std::string error;         ///< empty when all were made
};

/// Makes the set in `dir`; TestCerts::error says what failed.
TestCerts make_test_certs(std::filesystem::path const& dir);

/// The certificate's notAfter in Unix seconds, as the openssl CLI reads it; 0 on failure.
std::int64_t not_after_of(std::filesystem::path const& cert);

/// tests/probe/stream_server.py in a mode (see the script), on 127.0.0.1.
class StreamServer {
  public:
    /// `ca`: the CA of client certificates (mode tls12-client-auth).
    StreamServer(std::string const& mode, CertPair const& pair = {},
                 std::filesystem::path const& ca = {});
    bool ok() const { return port_ != 0; }
    std::string const& error() const { return error_; }
    std::uint16_t port() const { return port_; }
    /// What the server printed ("PORT n", "END clean", ...).
    std::string log() const { return dir_.read("server.log"); }

  private:
    TempDir dir_;
    std::unique_ptr<BackgroundProcess> process_;
    std::uint16_t port_ = 0;
    std::string error_;
};

}  // namespace portwatch::test
