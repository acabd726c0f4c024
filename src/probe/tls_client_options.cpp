// The `tls:` options of a target and the OpenSSL contexts built from them.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <filesystem>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "probe/tls_client.hpp"

namespace portwatch::probe {

namespace ssl = boost::asio::ssl;

namespace {

using config::Option;
using config::OptionNode;

/// "14d", "12h", "30m", "90s" (whole numbers): the expiry warning's lead time.
std::optional<std::chrono::seconds> parse_lead_time(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        ++digits;
    }
    if (digits == 0 || digits > 9 || digits + 1 != text.size()) {
        return std::nullopt;
    }
    std::int64_t const n = std::stoll(std::string(text.substr(0, digits)));
    switch (text.back()) {
        case 's':
            return std::chrono::seconds(n);
        case 'm':
            return std::chrono::seconds(n * 60);
        case 'h':
            return std::chrono::seconds(n * 3600);
        case 'd':
            return std::chrono::seconds(n * 86400);
        default:
            return std::nullopt;
    }
}

std::optional<bool> parse_bool(std::string_view s) {
    if (s == "true" || s == "yes" || s == "on") {
        return true;
    }
    if (s == "false" || s == "no" || s == "off") {
        return false;
    }
    return std::nullopt;
}

int version_of(std::string_view s) {
    if (s == "1.0") {
        return TLS1_VERSION;
    }
    if (s == "1.1") {
        return TLS1_1_VERSION;
    }
    if (s == "1.2") {
        return TLS1_2_VERSION;
    }
    if (s == "1.3") {
        return TLS1_3_VERSION;
    }
    return 0;
}

std::string openssl_error_text(boost::system::error_code ec) {
    return ec.message();
}

// Contexts by settings: 10k targets with the same `tls:` share one (its CA store loaded once).
// Contexts live as long as the process: loading the system's CA bundle takes ~15 ms, and the
// options are parsed several times per target (validation, each run or reload), so a context
// that died with its last user was built again for every target (10k https targets: minutes).
// A file's size and modification time are in the key, so a rotated file is read anew.
struct ContextCache {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<ssl::context>> contexts;
};

std::string file_stamp(std::string const& path) {
    std::error_code ec;
    auto const size = path.empty() ? 0 : std::filesystem::file_size(path, ec);
    auto const time = path.empty() ? std::filesystem::file_time_type{}
                                   : std::filesystem::last_write_time(path, ec);
    return fmt::format("{}:{}:{}", path, ec ? 0 : size, time.time_since_epoch().count());
}

ContextCache& context_cache() {
    static ContextCache cache;
    return cache;
}

struct ContextError {
    char const* key;  // the option at fault
    std::string what;
};

std::shared_ptr<ssl::context> build_context(TlsOptions const& o, ContextError& err) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3);
    boost::system::error_code ec;
    if (int const v = version_of(o.min_version); v != 0) {
        SSL_CTX_set_min_proto_version(ctx->native_handle(), v);
    }
    if (o.ca_file.empty()) {
        ctx->set_default_verify_paths(ec);
        if (ec) {
            err = {"tls", "cannot load the system's CA certificates: " + openssl_error_text(ec)};
            return nullptr;
        }
    } else {
        ctx->load_verify_file(o.ca_file, ec);
        if (ec) {
            err = {"ca_file", o.ca_file + ": " + openssl_error_text(ec)};
            return nullptr;
        }
    }
    if (!o.cert_file.empty()) {
        ctx->use_certificate_chain_file(o.cert_file, ec);
        if (ec) {
            err = {"cert_file", o.cert_file + ": " + openssl_error_text(ec)};
            return nullptr;
        }
        ctx->use_private_key_file(o.key_file, ssl::context::pem, ec);
        if (ec) {
            err = {"key_file", o.key_file + ": " + openssl_error_text(ec)};
            return nullptr;
        }
        if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
            ERR_clear_error();
            err = {"key_file", o.key_file + ": does not match " + o.cert_file};
            return nullptr;
        }
    }
    return ctx;
}

std::shared_ptr<ssl::context> shared_context(TlsOptions const& o, ContextError& err) {
    auto const key = fmt::format("{}\n{}\n{}\n{}\n{}", o.verify, file_stamp(o.ca_file),
                                 file_stamp(o.cert_file), file_stamp(o.key_file), o.min_version);
    auto& cache = context_cache();
    std::lock_guard const lock(cache.mutex);
    if (auto const& ctx = cache.contexts[key]) {
        return ctx;
    }
    auto ctx = build_context(o, err);
    if (ctx) {
        cache.contexts[key] = ctx;
    }
    return ctx;
}

}  // namespace

std::optional<TlsOptions> parse_tls_options(config::OptionBag const& bag, Option const* tls,
                                            config::Diagnostics& out) {
    TlsOptions o;
    auto const errors = out.size();
    Option const* by_key[7] = {};
    constexpr std::array<char const*, 7> keys{
        "server_name", "verify", "ca_file", "cert_file", "key_file", "min_version", "expiry_warn"};
    if (tls != nullptr && tls->value.type != OptionNode::Type::map) {
        bag.error(out, *tls, "expected a mapping (server_name, verify, ca_file, ...)");
        return std::nullopt;
    }
    if (tls != nullptr) {
        for (auto const& e : tls->value.entries) {
            auto const path = "tls." + e.key;
            std::size_t i = 0;
            while (i < keys.size() && e.key != keys[i]) {
                ++i;
            }
            if (i == keys.size()) {
                bag.error(out, e.value, path, "unknown key");
                continue;
            }
            if (e.value.type != OptionNode::Type::scalar || e.value.scalar.empty()) {
                bag.error(out, e.value, path, "expected a non-empty scalar");
                continue;
            }
            by_key[i] = &e;
            auto const& v = e.value.scalar;
            switch (i) {
                case 0:
                    o.server_name = v;
                    break;
                case 1:
                    if (auto const b = parse_bool(v)) {
                        o.verify = *b;
                    } else {
                        bag.error(out, e.value, path, "expected true or false, got '" + v + "'");
                    }
                    break;
                case 2:
                    o.ca_file = v;
                    break;
                case 3:
                    o.cert_file = v;
                    break;
                case 4:
                    o.key_file = v;
                    break;
                case 5:
                    if (version_of(v) == 0) {
                        bag.error(out, e.value, path,
                                  "expected 1.0, 1.1, 1.2 or 1.3, got '" + v + "'");
                    }
                    o.min_version = v;
                    break;
                case 6:
                    if (auto const d = parse_lead_time(v); d && d->count() > 0) {
                        o.expiry_warn = *d;
                    } else {
                        bag.error(out, e.value, path,
                                  "expected a duration like 14d, 12h, 30m; got '" + v + "'");
                    }
                    break;
                default:
                    break;
            }
        }
        if (o.cert_file.empty() != o.key_file.empty()) {
            auto const* given = by_key[3] != nullptr ? by_key[3] : by_key[4];
            bag.error(out, given->value, "tls." + given->key, "cert_file and key_file go together");
        }
    }
    if (out.size() != errors) {
        return std::nullopt;
    }
    // Relative files are read from the config file's directory, as `include:` and `store:`.
    auto const base = std::filesystem::path(bag.file).parent_path();
    for (auto* f : {&o.ca_file, &o.cert_file, &o.key_file}) {
        if (!f->empty() && std::filesystem::path(*f).is_relative() && !base.empty()) {
            *f = (base / *f).string();
        }
    }
    ContextError err{};
    o.context = shared_context(o, err);
    if (!o.context) {
        Option const* at = nullptr;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (std::string_view(keys[i]) == err.key) {
                at = by_key[i];
            }
        }
        if (at != nullptr) {
            bag.error(out, at->value, "tls." + at->key, err.what);
        } else if (tls != nullptr) {
            bag.error(out, *tls, err.what);
        } else {
            out.push_back(
                config::Diagnostic{.file = bag.file, .message = bag.path + ": " + err.what});
        }
        return std::nullopt;
    }
    return o;
}

}  // namespace portwatch::probe
