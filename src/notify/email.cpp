#include "notify/email.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "notify/message.hpp"
#include "notify/registry.hpp"
#include "notify/secret.hpp"
#include "util/time.hpp"

namespace portwatch::notify {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

using Diagnostics = std::vector<config::Diagnostic>;

/// The one value of a scalar option; nullopt (and an error) when it is a list or empty.
std::optional<std::string> scalar(config::NotifierSpec const& spec, std::string const& key,
                                  Diagnostics& out) {
    auto const it = spec.options.find(key);
    if (it == spec.options.end()) {
        return std::nullopt;
    }
    if (it->second.list || it->second.values.size() != 1 || it->second.values[0].empty()) {
        out.push_back(config::option_error(spec, key, "expected one non-empty value"));
        return std::nullopt;
    }
    return it->second.values[0];
}

/// What is wrong with an SMTP URL, or "" when it is usable.
std::string url_problem(std::string const& url) {
    auto const scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return "expected smtp://HOST[:PORT] or smtps://HOST[:PORT]";
    }
    auto const scheme = url.substr(0, scheme_end);
    if (scheme != "smtp" && scheme != "smtps") {
        return fmt::format("unsupported scheme '{}' (expected smtp or smtps)", scheme);
    }
    auto const rest = url.substr(scheme_end + 3);
    auto const authority = rest.substr(0, rest.find('/'));
    if (authority.find('@') != std::string::npos) {
        return "credentials in the URL are not allowed (use username and password)";
    }
    if (std::any_of(url.begin(), url.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
        return "spaces or control characters in the URL";
    }
    std::string_view host = authority;
    std::string_view port;
    if (host.starts_with('[')) {
        auto const close = host.find(']');
        if (close == std::string_view::npos) {
            return "unclosed [ in the host";
        }
        port = host.substr(close + 1);
        host = host.substr(0, close + 1);
    } else if (auto const colon = host.rfind(':'); colon != std::string_view::npos) {
        port = host.substr(colon);
        host = host.substr(0, colon);
    }
    if (host.empty() || host == "[]") {
        return "no host";
    }
    if (!port.empty()) {
        unsigned value = 0;
        auto const digits = port.substr(1);
        auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (!port.starts_with(':') || digits.empty() || ec != std::errc() ||
            end != digits.data() + digits.size() || value == 0 || value > 65535) {
            return "bad port (expected 1-65535)";
        }
    }
    return {};
}

/// An error per placeholder of `tmpl` that no event has ({message} is one of email's).
void check_template(config::NotifierSpec const& spec, std::string const& key,
                    std::string const& tmpl, Diagnostics& out) {
    eval::Event const probe;
    for (std::size_t open = tmpl.find('{'); open != std::string::npos;
         open = tmpl.find('{', open + 1)) {
        auto const close = tmpl.find('}', open + 1);
        if (close == std::string::npos) {
            return;
        }
        auto const name = tmpl.substr(open + 1, close - open - 1);
        if (name.find('{') == std::string::npos && name != "message" &&
            !placeholder_value(name, probe)) {
            out.push_back(
                config::option_error(spec, key, fmt::format("unknown placeholder {{{}}}", name)));
        }
    }
}

fs::path resolve(std::string const& path, fs::path const& dir) {
    fs::path p(path);
    return p.is_relative() && !dir.empty() ? dir / p : p;
}

/// "SMTP 550" (or the transfer's words when the server gave no code), then its error text.
std::string describe(MailResult const& r) {
    if (r.smtp_code == 0) {
        return r.error;
    }
    return fmt::format("SMTP {}: {}", r.smtp_code, r.error);
}

}  // namespace

EmailNotifier::EmailNotifier(asio::io_context& io, EmailOptions options)
    : io_(io), client_(TransferClient::of(io)), options_(std::move(options)) {}

std::string const& EmailNotifier::name() const {
    return options_.name;
}

void EmailNotifier::deliver(Notification const& n, std::chrono::milliseconds timeout,
                            Completion done) {
    MailRequest request{.url = options_.url,
                        .starttls = options_.starttls,
                        .username = options_.username,
                        .password = options_.password,
                        .from = options_.content.from.address,
                        .to = {},
                        .message = {},
                        .timeout = timeout,
                        .tls = options_.tls};
    for (auto const& m : options_.content.to) {
        request.to.push_back(m.address);
    }
    try {
        request.message = build_email(options_.content, n.event, n.message, util::Clock::now());
    } catch (std::exception const& ex) {
        // Out of memory: report it on the loop, never throw into it.
        asio::post(io_, [done = std::move(done), what = std::string(ex.what())] {
            done(DeliveryResult{
                DeliveryError::cannot_start, fmt::format("cannot build the mail: {}", what), {}});
        });
        return;
    }
    client_->mail(std::move(request),
                  [done = std::move(done)](MailResult r) { done(email_outcome(r)); });
}

DeliveryResult email_outcome(MailResult const& r) {
    if (r.error.empty() && !r.timed_out) {
        return DeliveryResult{};
    }
    if (r.timed_out) {
        return {DeliveryError::timed_out, fmt::format("timed out: {}", describe(r)), {}};
    }
    if (r.smtp_code >= 500 && r.smtp_code <= 599) {
        // 550 no such mailbox, 554 refused, 535 authentication failed: retrying cannot help.
        return {DeliveryError::rejected, describe(r), {}};
    }
    if (r.smtp_code >= 400 && r.smtp_code <= 499) {
        // A transient SMTP failure (greylisting, mailbox busy): retried with backoff.
        return {DeliveryError::http_status, describe(r), {}};
    }
    return {DeliveryError::connection_failed, describe(r), {}};
}

void validate_email(config::NotifierSpec const& spec, Diagnostics& out) {
    reject_unknown_options(spec,
                           {"url", "from", "to", "username", "password", "password_file",
                            "password_env", "subject", "body", "starttls", "tls_verify", "ca_file"},
                           out);
    if (auto const url = scalar(spec, "url", out)) {
        if (auto const problem = url_problem(*url); !problem.empty()) {
            out.push_back(config::option_error(spec, "url", problem));
        } else if (url->starts_with("smtps://") && spec.options.contains("starttls")) {
            out.push_back(config::option_error(
                spec, "starttls", "only for smtp:// (smtps:// is TLS from the start)"));
        }
    } else if (!spec.options.contains("url")) {
        out.push_back(
            config::option_error(spec, "url", "missing (smtp://HOST:587 or smtps://HOST:465)"));
    }
    if (auto const from = scalar(spec, "from", out)) {
        if (!parse_mailbox(*from)) {
            out.push_back(config::option_error(
                spec, "from", "expected an address (a@example.com or Name <a@example.com>)"));
        }
    } else if (!spec.options.contains("from")) {
        out.push_back(config::option_error(spec, "from", "missing (the sender's address)"));
    }
    if (auto const it = spec.options.find("to");
        it == spec.options.end() || it->second.values.empty()) {
        out.push_back(config::option_error(spec, "to", "missing (one address or a list)"));
    } else {
        for (auto const& v : it->second.values) {
            if (!parse_mailbox(v)) {
                out.push_back(
                    config::option_error(spec, "to", fmt::format("'{}' is not an address", v)));
            }
        }
    }
    bool const user = scalar(spec, "username", out).has_value();
    validate_secret(spec, "password", user, out);
    auto const keys = secret_keys("password");
    bool const password = std::any_of(keys.begin(), keys.end(),
                                      [&](auto const& k) { return spec.options.contains(k); });
    if (!user && password) {
        out.push_back(config::option_error(spec, "username", "missing (password is given)"));
    }
    for (auto const* key : {"subject", "body"}) {
        if (auto const t = scalar(spec, key, out)) {
            check_template(spec, key, *t, out);
        }
    }
    for (auto const* key : {"starttls", "tls_verify"}) {
        validate_bool_option(spec, key, out);
    }
    if (user && !bool_option(spec, "starttls", true) &&
        option_value(spec, "url").starts_with("smtp://")) {
        auto d = config::option_error(spec, "starttls",
                                      "false: the password goes to the server unencrypted");
        d.severity = config::Diagnostic::Severity::warning;
        out.push_back(std::move(d));
    }
    if (auto const ca = scalar(spec, "ca_file", out)) {
        auto const path = resolve(*ca, fs::path(spec.file).parent_path());
        if (!std::ifstream(path)) {
            out.push_back(config::option_error(spec, "ca_file",
                                               fmt::format("cannot read {}", path.string())));
        }
    }
}

EmailOptions email_options(config::NotifierSpec const& spec, NotifierContext const& context) {
    auto const dir =
        context.base_dir.empty() ? fs::path(spec.file).parent_path() : context.base_dir;
    EmailOptions o{.name = spec.name,
                   .url = option_value(spec, "url"),
                   .starttls = bool_option(spec, "starttls", true),
                   .username = option_value(spec, "username"),
                   .password = secret_value(spec, "password", dir.string()),
                   .tls = TransferTls{.verify = bool_option(spec, "tls_verify", true)},
                   .content = {}};
    if (auto const ca = option_value(spec, "ca_file"); !ca.empty()) {
        o.tls.ca_file = resolve(ca, dir).string();
    }
    o.content.from = parse_mailbox(option_value(spec, "from")).value_or(Mailbox{});
    if (auto const it = spec.options.find("to"); it != spec.options.end()) {
        for (auto const& v : it->second.values) {
            if (auto m = parse_mailbox(v)) {
                o.content.to.push_back(std::move(*m));
            }
        }
    }
    o.content.subject = option_value(spec, "subject");
    o.content.body = option_value(spec, "body");
    return o;
}

std::unique_ptr<Notifier> create_email(asio::io_context& io, config::NotifierSpec const& spec,
                                       NotifierContext const& context) {
    return std::make_unique<EmailNotifier>(io, email_options(spec, context));
}

}  // namespace portwatch::notify
