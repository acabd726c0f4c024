#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.hpp"

namespace portwatch::http {

/// A Basic credential waiting for the slow check (crypt(3) is slow on purpose).
struct Credential {
    std::string user;
    std::string password;
    std::string digest;  ///< SHA-256 of the whole Authorization header, for the cache
};

/// Authentication of the HTTP surface, split in two: `check` is quick and runs on the
/// server's thread (cache, bearer token, parsing); `verify` is the password hash and runs on
/// a verifier thread. An unknown user costs a verification against the configured hash like
/// a known one (no user enumeration by timing); every comparison is constant-time.
class Authenticator {
  public:
    explicit Authenticator(HttpOptions const& options);

    enum class Step { allowed, denied, verify };

    /// Quick part (server thread): allowed (no auth, cached, right token), denied, or verify
    /// with `out` filled in.
    Step check(std::string_view header, Credential& out);

    /// Slow part (any thread): the password against the configured hash, the user compared
    /// in constant time. Same cost whether or not the user exists.
    bool verify(Credential const& credential) const;

    /// Caches a verified header (server thread).
    void remember(std::string digest);

    /// The challenges of a 401: one per configured scheme.
    std::string challenges() const;

    /// Password hash computations so far (tests: an unknown user is verified too).
    std::size_t verifications() const { return verifications_.load(); }

  private:
    HttpOptions const& options_;
    /// Authorization headers that passed (as SHA-256 digests).
    std::vector<std::string> verified_;
    mutable std::atomic<std::size_t> verifications_{0};
};

/// True when `password` hashes to `hash`: "sha256:HEX", or crypt(3), whose hash names its
/// method (yescrypt, bcrypt, sha512crypt). Constant-time comparison.
bool check_password(std::string const& password, std::string const& hash);

}  // namespace portwatch::http
