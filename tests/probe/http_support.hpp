#pragma once

// What the http kind's tests share: Python HTTP(S) servers on loopback, certificates made
// with the openssl CLI, and option values as the config reader hands them over.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/options.hpp"
#include "support/background_process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::probe::http_test {

/// A Python HTTP server on `address` (HTTPS when given a certificate and key), killed by
/// the destructor. Routes: /ok, /empty (204), /fail (500), /wrong (another body), /big
/// (1 MiB, then MARKER), /r/N (N redirects, then /ok), /to?PORT (302 to 127.0.0.1:PORT/ok;
/// /to?HOST:PORT to HOST:PORT/ok), /see (303 to echo), /echo (method, X-Probe and the request
/// body), /slow (half a body, then silence), /garbage (not HTTP).
class PyServer {
  public:
    PyServer(test::TempDir const& dir, std::string const& name,
             std::filesystem::path const& cert = {}, std::filesystem::path const& key = {},
             std::string const& address = "127.0.0.1");
    /// 0 when it did not start within 10 s.
    std::uint16_t port() const { return port_; }

  private:
    std::unique_ptr<test::BackgroundProcess> proc_;
    std::uint16_t port_ = 0;
};

/// Makes in `dir`: ca.pem/ca.key (a test CA), leaf.pem/leaf.key (127.0.0.1 under the CA,
/// 10 days), other.pem (wrong.example under the CA, leaf.key's key), self.pem/self.key
/// (self-signed for 127.0.0.1). False (with a test failure) when openssl failed.
bool make_certificates(std::filesystem::path const& dir);

/// The certificate's notAfter in Unix seconds, as the openssl CLI reads it; -1 on failure.
std::int64_t not_after(std::filesystem::path const& pem);

/// Option values at line 1, column 1.
config::OptionNode scalar(std::string s);
config::OptionNode map(std::vector<config::Option> entries);
config::OptionNode list(std::vector<config::OptionNode> items);
config::Option opt(std::string key, config::OptionNode value);

}  // namespace portwatch::probe::http_test
