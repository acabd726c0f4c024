#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

/// TLS settings of an outgoing transfer.
struct TransferTls {
    bool verify = true;   ///< verify the server's certificate and name
    std::string ca_file;  ///< PEM bundle instead of the system CAs; empty: system
};

/// One HTTP request of a notifier.
struct HttpRequest {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{30000};
    TransferTls tls;
    std::size_t max_response_bytes = 64 * 1024;  ///< the rest is read and dropped
};

/// The server's answer, or why there is none.
struct HttpResponse {
    /// Empty when an HTTP response arrived (whatever its status); else what failed
    /// (resolve, connect, TLS, timeout), for the log.
    std::string transport_error;
    bool timed_out = false;
    int status = 0;
    std::string body;  ///< at most max_response_bytes
    /// Retry-After of a 429 or 503, in seconds (delta or HTTP date), when given.
    std::optional<std::chrono::seconds> retry_after;
};

/// One mail to send over SMTP: `smtp://HOST:PORT` (STARTTLS when `starttls`, which then is
/// required) or `smtps://HOST:PORT` (TLS from the start).
struct MailRequest {
    std::string url;
    bool starttls = true;
    std::string username;  ///< empty: no AUTH
    std::string password;
    std::string from;             ///< the envelope sender (MAIL FROM)
    std::vector<std::string> to;  ///< the envelope recipients (RCPT TO)
    std::string message;          ///< the whole RFC 5322 message, CRLF line ends
    std::chrono::milliseconds timeout{30000};
    TransferTls tls;
};

struct MailResult {
    std::string error;  ///< empty: accepted by the server
    bool timed_out = false;
    int smtp_code = 0;  ///< the server's last reply code when known (e.g. 550)
};

/// The process's one client for outgoing transfers (libcurl's multi interface driven by the
/// Asio event loop: the only file that uses libcurl). Every call returns at once; `done`
/// runs exactly once on the io_context's thread, never inside the call. Proxies come from
/// the environment (http_proxy, https_proxy, no_proxy) as curl reads them.
class TransferClient {
  public:
    explicit TransferClient(boost::asio::io_context& io);
    /// Pending transfers are aborted; their completions do not run.
    ~TransferClient();
    TransferClient(TransferClient const&) = delete;
    TransferClient& operator=(TransferClient const&) = delete;

    void http(HttpRequest request, std::function<void(HttpResponse)> done);
    void mail(MailRequest request, std::function<void(MailResult)> done);

    /// Transfers in flight.
    std::size_t active() const;

    /// The client of an io_context, made on first use and kept as long as some notifier
    /// holds it (notifiers keep the shared_ptr).
    static std::shared_ptr<TransferClient> of(boost::asio::io_context& io);

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace portwatch::notify
