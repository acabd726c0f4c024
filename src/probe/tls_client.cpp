#include "probe/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <ctime>

#include <boost/asio/ip/address.hpp>

#include "probe/named_category.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using Clock = std::chrono::steady_clock;

namespace {

NamedCategory<4> const category{
    "portwatch.probe.tls",
    {{
        {static_cast<int>(TlsError::handshake), "tls-handshake", "TLS handshake failed",
         ProbeCondition::target_failed},
        {static_cast<int>(TlsError::cert_expired), "cert-expired", "certificate expired",
         ProbeCondition::target_failed},
        {static_cast<int>(TlsError::cert_untrusted), "cert-untrusted", "certificate not trusted",
         ProbeCondition::target_failed},
        {static_cast<int>(TlsError::cert_hostname), "cert-hostname",
         "certificate does not match the host", ProbeCondition::target_failed},
    }}};

std::string name_text(X509_NAME const* name) {
    if (name == nullptr) {
        return {};
    }
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr) {
        return {};
    }
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio, &data);
    std::string out(data != nullptr && n > 0 ? std::string(data, static_cast<std::size_t>(n)) : "");
    BIO_free(bio);
    return out;
}

std::int64_t unix_seconds(ASN1_TIME const* t) {
    std::tm tm{};
    if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
        return 0;
    }
    return static_cast<std::int64_t>(::timegm(&tm));
}

std::string utc_text(std::int64_t unix) {
    auto const t = static_cast<std::time_t>(unix);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    std::array<char, 32> buf{};
    std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf.data();
}

std::string peer_text(asio::ip::tcp::socket& s) {
    boost::system::error_code ec;
    auto const ep = s.remote_endpoint(ec);
    if (ec) {
        return "?";
    }
    auto const a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
           std::to_string(ep.port());
}

}  // namespace

ProbeCategory const& tls_category() {
    return category;
}

std::error_code make_error_code(TlsError e) {
    return {static_cast<int>(e), tls_category()};
}

// What the verify callback saw: the leaf and the first error of each class. The callback
// always accepts, so the handshake completes and the leaf can be read whatever its state;
// the verdict is ours afterwards.
struct TlsClient::Verify {
    X509* leaf = nullptr;
    int expired = 0;    // X509_V_ERR_CERT_HAS_EXPIRED or NOT_YET_VALID, at any depth
    int untrusted = 0;  // any other chain error
    int hostname = 0;   // X509_V_ERR_HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH

    ~Verify() {
        if (leaf != nullptr) {
            X509_free(leaf);
        }
    }
};

TlsClient::TlsClient(TlsOptions const& options, asio::ip::tcp::socket& socket,
                     std::string_view host)
    : context_(options.context),
      check_(options.verify),
      stream_(socket, *context_),
      name_(options.server_name.empty() ? std::string(host) : options.server_name),
      verify_(std::make_shared<Verify>()) {
    SSL* ssl = stream_.native_handle();
    boost::system::error_code ec;
    auto const ip = asio::ip::make_address(name_, ec);
    bool const is_ip = !ec;
    if (!is_ip && !name_.empty()) {
        SSL_set_tlsext_host_name(ssl, name_.c_str());
    }
    if (check_ && !name_.empty()) {
        if (is_ip) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip.to_string().c_str());
        } else {
            SSL_set1_host(ssl, name_.c_str());
        }
    }
    stream_.set_verify_mode(ssl::verify_peer);
    stream_.set_verify_callback([v = verify_](bool preverified, ssl::verify_context& ctx) {
        X509_STORE_CTX* store = ctx.native_handle();
        int const depth = X509_STORE_CTX_get_error_depth(store);
        if (depth == 0 && v->leaf == nullptr) {
            if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
                X509_up_ref(cert);
                v->leaf = cert;
            }
        }
        if (!preverified) {
            int const err = X509_STORE_CTX_get_error(store);
            if (err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID) {
                v->expired = v->expired != 0 ? v->expired : err;
            } else if (err == X509_V_ERR_HOSTNAME_MISMATCH ||
                       err == X509_V_ERR_IP_ADDRESS_MISMATCH) {
                v->hostname = v->hostname != 0 ? v->hostname : err;
            } else {
                v->untrusted = v->untrusted != 0 ? v->untrusted : err;
            }
        }
        return true;
    });
}

TlsClient::~TlsClient() = default;

void TlsClient::handshake(Clock::time_point start, StepDone done) {
    stream_.async_handshake(
        ssl::stream_base::client,
        [self = shared_from_this(), start, done = std::move(done)](boost::system::error_code ec) {
            self->on_handshake(ec, start, done);
        });
}

void TlsClient::on_handshake(boost::system::error_code ec, Clock::time_point start,
                             StepDone const& done) {
    SSL* ssl = stream_.native_handle();
    StepResult r;
    // The leaf: from the callback, else (verification skipped) from the session.
    X509* leaf = verify_->leaf;
    X509* owned = nullptr;
    if (leaf == nullptr) {
        owned = SSL_get1_peer_certificate(ssl);
        leaf = owned;
    }
    if (leaf != nullptr) {
        r.facts.cert_not_after = unix_seconds(X509_get0_notAfter(leaf));
        r.facts.cert_subject = name_text(X509_get_subject_name(leaf));
        r.facts.cert_issuer = name_text(X509_get_issuer_name(leaf));
    }
    if (owned != nullptr) {
        X509_free(owned);
    }
    auto const prefix = "tls handshake with " + peer_text(stream_.next_layer()) + ": ";
    if (ec) {
        r.error = TlsError::handshake;
        r.detail = prefix + ec.message();
        done(std::move(r));
        return;
    }
    r.facts.tls_version = SSL_get_version(ssl);
    r.facts.tls_time = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    if (check_) {
        auto const& v = *verify_;
        if (v.expired != 0) {
            r.error = TlsError::cert_expired;
            r.detail = prefix + X509_verify_cert_error_string(v.expired);
            if (v.expired == X509_V_ERR_CERT_HAS_EXPIRED && r.facts.cert_not_after != 0) {
                r.detail += " (notAfter " + utc_text(r.facts.cert_not_after) + ")";
            }
        } else if (v.untrusted != 0) {
            r.error = TlsError::cert_untrusted;
            r.detail = prefix + X509_verify_cert_error_string(v.untrusted) + " (issuer " +
                       r.facts.cert_issuer + ")";
        } else if (v.hostname != 0) {
            r.error = TlsError::cert_hostname;
            r.detail = prefix + "certificate does not match '" + name_ + "' (subject " +
                       r.facts.cert_subject + ")";
        }
    }
    done(std::move(r));
}

void TlsClient::close_notify(std::function<void()> done) {
    // As if the peer's close_notify had come: SSL_shutdown then sends ours and returns at once.
    SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
    stream_.async_shutdown(
        [self = shared_from_this(), done = std::move(done)](boost::system::error_code) { done(); });
}

std::optional<std::chrono::seconds> expiry_warn_of(KindOptions const* options) {
    auto const* has = dynamic_cast<HasTls const*>(options);
    if (has == nullptr || has->tls() == nullptr) {
        return std::nullopt;
    }
    return has->tls()->expiry_warn;
}

}  // namespace portwatch::probe
