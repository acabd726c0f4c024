#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/notifier.hpp"
#include "notify/email_message.hpp"
#include "notify/notifier.hpp"
#include "notify/transfer.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

struct EmailOptions {
    std::string name = "email";  ///< the destination's name (Notifier::name())
    /// smtp://HOST[:PORT] (STARTTLS, required unless `starttls` is false) or
    /// smtps://HOST[:PORT] (TLS from the start).
    std::string url;
    bool starttls = true;
    std::string username;  ///< empty: no AUTH
    std::string password;
    TransferTls tls;
    EmailContent content;
};

/// Sends each notification as one mail through the process's TransferClient (SMTP over
/// libcurl, on the event loop). Outcomes: accepted -> ok; no answer in time -> timed_out;
/// connect, TLS or STARTTLS failure -> connection_failed; a 4xx reply -> http_status
/// (retryable, the SMTP code in the detail); a 5xx reply (550 unknown mailbox, 535
/// authentication failed, ...) -> rejected (permanent).
class EmailNotifier final : public Notifier {
  public:
    EmailNotifier(boost::asio::io_context& io, EmailOptions options);
    std::string const& name() const override;
    void deliver(Notification const& n, std::chrono::milliseconds timeout,
                 Completion done) override;

  private:
    boost::asio::io_context& io_;
    std::shared_ptr<TransferClient> client_;
    EmailOptions options_;
};

/// The delivery outcome of a transfer's result (pure).
DeliveryResult email_outcome(MailResult const& result);

/// The email type's options: url, from, to (one or a list), username, password
/// (password_file, password_env), subject, body, starttls, tls_verify, ca_file.
void validate_email(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out);

/// The options of a validated spec (the password read now; relative paths from
/// `context.base_dir`).
EmailOptions email_options(config::NotifierSpec const& spec, NotifierContext const& context);

std::unique_ptr<Notifier> create_email(boost::asio::io_context& io,
                                       config::NotifierSpec const& spec,
                                       NotifierContext const& context);

}  // namespace portwatch::notify
