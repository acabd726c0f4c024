#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/notifier.hpp"
#include "notify/notifier.hpp"
#include "notify/transfer.hpp"
#include "util/time.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {

/// What an HTTP answer means for the outbox: 2xx ok; 429 rate_limited (with Retry-After);
/// 408 and 5xx http_status (retryable); other statuses rejected (permanent; the detail has
/// the status and the start of the body); no answer connection_failed or timed_out.
/// Every `secrets` occurrence in the detail is replaced by "<redacted>".
DeliveryResult map_http_outcome(HttpResponse const& response,
                                std::vector<std::string> const& secrets);

/// `text` with each non-empty secret replaced by "<redacted>".
std::string redact(std::string text, std::vector<std::string> const& secrets);

/// A notifier that turns each notification into one HTTP request (a pure function of the
/// notification) and posts it through the io_context's TransferClient.
class HttpNotifier final : public Notifier {
  public:
    /// nullopt: nothing to send for this event (it succeeds at once).
    using Build = std::function<std::optional<HttpRequest>(Notification const&)>;
    HttpNotifier(boost::asio::io_context& io, std::string name, Build build,
                 std::vector<std::string> secrets);
    std::string const& name() const override { return name_; }
    void deliver(Notification const& n, std::chrono::milliseconds timeout,
                 Completion done) override;

  private:
    boost::asio::io_context& io_;
    std::string name_;
    Build build_;
    std::vector<std::string> secrets_;
    std::shared_ptr<TransferClient> client_;
};

/// An error per option that is neither one of `own` nor common to HTTP kinds (`url`,
/// `url_file` and `url_env` when `url_secret`, `ca_file`, `tls_verify`).
void reject_unknown_http_options(config::NotifierSpec const& spec,
                                 std::initializer_list<std::string_view> own, bool url_secret,
                                 std::vector<config::Diagnostic>& out);

/// Checks `url` (a secret when `url_secret`: Slack's, Discord's and Teams' URLs carry their
/// token), `ca_file` and `tls_verify`.
void validate_http_common(config::NotifierSpec const& spec, bool url_required, bool url_secret,
                          std::vector<config::Diagnostic>& out);

/// The endpoint settings of a validated spec.
struct HttpEndpoint {
    std::string url;
    TransferTls tls;
};
HttpEndpoint http_endpoint(config::NotifierSpec const& spec, NotifierContext const& context,
                           std::string_view default_url);

/// A URL that carries a token, and its path (what a log must not show of it).
std::vector<std::string> url_secrets(std::string const& url);

/// `base` without its trailing slashes, then `path` ("/v2/enqueue").
std::string join_url(std::string base, std::string_view path);

/// Checks a required plain (non-secret) option with one non-empty value.
void require_value(config::NotifierSpec const& spec, std::string_view key,
                   std::vector<config::Diagnostic>& out);

/// "2026-12-05T00:47:12Z" (UTC, whole seconds).
std::string iso_utc(util::TimePoint t);

/// Compact JSON, UTF-8 kept as is, invalid UTF-8 replaced (never throws on event text).
std::string dump_json(nlohmann::ordered_json const& j);

/// "DOWN db (db1:5432)", "UP ...", "CERT EXPIRING ...", "CERT RENEWED ...": a short title
/// (the target's name, and its key when the name differs).
std::string event_title(eval::Event const& e);

/// `&`, `<` and `>` as entities, nothing else: the escaping both Slack's mrkdwn and
/// Telegram's HTML parse mode ask for.
std::string escape_amp_lt_gt(std::string_view text);

/// The colour of an event kind as 0xRRGGBB: red DOWN, green UP and renewed, amber expiring.
int event_colour(eval::EventKind k);

/// JSON headers: Content-Type application/json.
HttpRequest json_post(std::string url, std::string body, TransferTls tls);

}  // namespace portwatch::notify
