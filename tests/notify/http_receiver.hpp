#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/background_process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::test {

/// One request the receiver got.
struct ReceivedRequest {
    std::string method;
    std::string path;
    std::map<std::string, std::string> headers;  ///< names in lower case
    std::string body;
};

/// tests/notify/http_receiver.py on 127.0.0.1: the first path segment of a URL chooses the
/// answer (ok, bad, 429, 429date, 500, 503, hang, close, echo, big); every request is recorded.
class HttpReceiver {
  public:
    HttpReceiver();
    /// HTTPS with this certificate and key (PEM files).
    HttpReceiver(std::string const& cert, std::string const& key);
    bool ok() const { return port_ != 0; }
    int port() const { return port_; }
    /// "http://127.0.0.1:PORT/MODE" ("https://" when started with a certificate).
    std::string url(std::string_view mode = "ok") const;
    /// The requests so far, in order.
    std::vector<ReceivedRequest> requests() const;
    /// Waits at most `timeout` for `n` requests.
    bool wait_requests(std::size_t n, std::chrono::milliseconds timeout) const;

  private:
    TempDir dir_;
    std::unique_ptr<BackgroundProcess> process_;
    int port_ = 0;
    bool tls_ = false;
};

}  // namespace portwatch::test
