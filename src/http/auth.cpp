#include "http/auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace portwatch::http {
namespace {

constexpr std::size_t verified_cache_size = 64;

bool equal_constant_time(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256(std::string_view s) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<unsigned char const*>(s.data()), s.size(), digest);
    return std::string(reinterpret_cast<char const*>(digest), sizeof digest);
}

std::optional<std::string> base64_decode(std::string_view s) {
    if (s.empty() || s.size() % 4 != 0) {
        return std::nullopt;
    }
    std::string out(s.size() / 4 * 3, '\0');
    int const n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(s.data()),
                                  static_cast<int>(s.size()));
    if (n < 0) {
        return std::nullopt;
    }
    // EVP_DecodeBlock counts padding as zero bytes.
    std::size_t pad = 0;
    for (auto it = s.rbegin(); it != s.rend() && *it == '='; ++it) {
        ++pad;
    }
    out.resize(static_cast<std::size_t>(n) - std::min<std::size_t>(pad, 2));
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

bool check_password(std::string const& password, std::string const& hash) {
    if (hash.starts_with("sha256:")) {
        std::string hex;
        for (unsigned char c : sha256(password)) {
            hex += fmt::format("{:02x}", c);
        }
        std::string expected = hash.substr(7);
        for (auto& c : expected) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return equal_constant_time(hex, expected);
    }
    crypt_data data{};
    char const* out = ::crypt_rn(password.c_str(), hash.c_str(), &data, sizeof data);
    return out != nullptr && out[0] != '*' && equal_constant_time(out, hash);
}

Authenticator::Authenticator(HttpOptions const& options) : options_(options) {}

Authenticator::Step Authenticator::check(std::string_view h, Credential& out) {
    if (!options_.auth_enabled()) {
        return Step::allowed;
    }
    auto digest = sha256(h);
    if (std::find(verified_.begin(), verified_.end(), digest) != verified_.end()) {
        return Step::allowed;
    }
    // "SCHEME credentials"; the scheme is case-insensitive (RFC 7235), spaces may repeat.
    auto const space = h.find(' ');
    auto const scheme = h.substr(0, space);
    auto credentials = space == std::string_view::npos ? std::string_view() : h.substr(space);
    while (credentials.starts_with(' ')) {
        credentials.remove_prefix(1);
    }
    if (!options_.bearer_token.empty() && iequals(scheme, "Bearer")) {
        return equal_constant_time(credentials, options_.bearer_token) ? Step::allowed
                                                                       : Step::denied;
    }
    if (!options_.basic_auth_user.empty() && iequals(scheme, "Basic")) {
        auto const decoded = base64_decode(credentials);
        auto const colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos) {
            return Step::denied;
        }
        out = Credential{.user = decoded->substr(0, colon),
                         .password = decoded->substr(colon + 1),
                         .digest = std::move(digest)};
        return Step::verify;
    }
    return Step::denied;
}

bool Authenticator::verify(Credential const& c) const {
    ++verifications_;
    // The hash is computed whether or not the user matches: an unknown user costs the same
    // (same method, cost and salt) as a known one with a wrong password.
    // Digests first: the comparison does not depend on the lengths either.
    bool const user_ok = equal_constant_time(sha256(c.user), sha256(options_.basic_auth_user));
    bool const password_ok = check_password(c.password, options_.basic_auth_hash);
    return user_ok && password_ok;
}

void Authenticator::remember(std::string digest) {
    if (verified_.size() >= verified_cache_size) {
        verified_.erase(verified_.begin());
    }
    verified_.push_back(std::move(digest));
}

std::string Authenticator::challenges() const {
    std::string out;
    if (!options_.basic_auth_user.empty()) {
        out = R"(Basic realm="portwatch", charset="UTF-8")";
    }
    if (!options_.bearer_token.empty()) {
        out += std::string(out.empty() ? "" : ", ") + R"(Bearer realm="portwatch")";
    }
    return out;
}

}  // namespace portwatch::http
