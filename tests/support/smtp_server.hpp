#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/background_process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::test {

/// A self-signed certificate for 127.0.0.1 and localhost, made by the openssl CLI.
struct TestCert {
    std::filesystem::path cert;
    std::filesystem::path key;
};
/// Writes NAME.pem and NAME.key into `dir`; nullopt (and `error`) when openssl fails.
std::optional<TestCert> make_test_cert(std::filesystem::path const& dir, std::string const& name,
                                       std::string& error);

struct SmtpServerOptions {
    enum class Mode { plain, starttls, smtps };
    Mode mode = Mode::plain;  ///< starttls: offered and required; smtps: TLS from the start
    TestCert cert;            ///< for starttls and smtps
    std::string user;         ///< when set, AUTH with user/password is required
    std::string password;
    std::vector<std::string> exclude_auth;  ///< mechanisms not offered ("PLAIN", "LOGIN")
    std::vector<std::string> reject_rcpt;   ///< recipients refused with 550
    std::string data_reply;                 ///< e.g. "451 4.3.0 try later": DATA answered so
};

/// One message the server accepted.
struct ReceivedMail {
    std::string mail_from;
    std::vector<std::string> rcpt_to;
    bool tls = false;
    std::string auth_mechanism;  ///< "PLAIN", "LOGIN" or empty
    std::string auth_login;
    std::string subject;  ///< decoded by Python's email parser
    std::string body;     ///< decoded likewise
    std::string raw;      ///< the bytes received after DATA (dot-stuffing undone)
};

/// A real SMTP server (Debian's python3-aiosmtpd under /usr/bin/python3) on 127.0.0.1, port
/// chosen by the kernel; killed by the destructor.
class SmtpServer {
  public:
    explicit SmtpServer(SmtpServerOptions options = {});
    ~SmtpServer();
    SmtpServer(SmtpServer const&) = delete;
    SmtpServer& operator=(SmtpServer const&) = delete;

    bool ok() const { return port_ != 0; }
    std::string error() const;  ///< the server's output, when it did not start
    std::uint16_t port() const { return port_; }
    /// smtp://127.0.0.1:PORT, or smtps:// in smtps mode.
    std::string url() const;
    /// Waits at most `timeout` for `n` accepted messages.
    bool wait_received(std::size_t n, std::chrono::milliseconds timeout) const;
    std::vector<ReceivedMail> received() const;

  private:
    SmtpServerOptions options_;
    TempDir dir_;
    std::unique_ptr<BackgroundProcess> process_;
    std::uint16_t port_ = 0;
};

}  // namespace portwatch::test
