// `kind: http`: the kind's entry points and the probe's course over its hops (redirects).
#include "probe/http.hpp"

#include <exception>
#include <regex>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "probe/http_session.hpp"

namespace portwatch::probe {

namespace asio = boost::asio;
using boost::system::error_code;

HttpKind const http_kind;

std::shared_ptr<KindOptions const> HttpKind::parse_options(config::OptionBag const& bag,
                                                           config::Diagnostics& out) const {
    return parse_http_options(bag, out);
}

// The URL gives host, port and identity; called only once the options validated.
void HttpKind::complete_target(config::OptionBag const& bag, config::Target& target) const {
    auto const* url = bag.find("url");
    std::string why;
    auto const parsed = url != nullptr ? parse_http_url(url->value.scalar, why) : std::nullopt;
    if (!parsed) {
        return;
    }
    target.host =
        parsed->host.find(':') != std::string::npos ? "[" + parsed->host + "]" : parsed->host;
    target.port = parsed->port;
    target.endpoint = url->value.scalar;
}

void HttpKind::run_steps(StreamStep step, StepDone done) const {
    if (dynamic_cast<HttpOptions const*>(step.request.options.get()) == nullptr) {
        done({make_error_code(ProbeError::connect_failed), "http: the target has no url"});
        return;
    }
    std::make_shared<HttpSession>(step, std::move(done))->start();
}

namespace {

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string expected_text(HttpOptions const& o) {
    if (o.status.empty()) {
        return "2xx";
    }
    std::string out;
    for (auto const& [low, high] : o.status) {
        out += out.empty() ? "" : ", ";
        out += low == high ? std::to_string(low) : fmt::format("{}xx", low / 100);
    }
    return out;
}

}  // namespace

HttpSession::HttpSession(StreamStep const& step, StepDone done)
    : engine_socket_(step.socket),
      keep_(step.request.options),
      options_(static_cast<HttpOptions const&>(*step.request.options)),
      start_(step.start),
      deadline_(step.deadline),
      timeout_(step.request.timeout),
      method_(options_.method),
      timer_(step.socket.get_executor(), step.deadline),
      resolver_(step.resolver),
      done_(std::move(done)) {}

void HttpSession::start() {
    error_code ec;
    origin_ = engine_socket_.remote_endpoint(ec);
    facts_.connect_time = since_start();
    active_ = &engine_socket_;
    timer_.async_wait([weak = weak_from_this()](error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            self->on_deadline();
        }
    });
    // Nothing escapes the coroutine: an exception (allocation) ends the probe here.
    asio::co_spawn(engine_socket_.get_executor(), run(),
                   [self = shared_from_this()](std::exception_ptr e, StepResult r) {
                       if (e) {
                           r = {make_error_code(HttpError::protocol), "http: internal error"};
                       }
                       self->finish(std::move(r));
                   });
}

// Past the deadline every pending operation ends with operation_aborted; each step checks
// timed_out_ after its wait, so a completion already queued does not slip through either.
void HttpSession::on_deadline() {
    timed_out_ = true;
    if (auto const lookup = std::move(lookup_)) {
        auto r = std::make_shared<Resolution>();
        r->error = ProbeError::dns_timeout;
        lookup->on_resolved(r);
    }
    if (active_ != nullptr) {
        error_code ignored;
        active_->cancel(ignored);
    }
}

void HttpSession::finish(StepResult r) {
    timer_.cancel();
    if (own_socket_) {
        error_code ignored;
        own_socket_->close(ignored);
    }
    r.facts = facts_;
    if (done_) {
        auto done = std::move(done_);
        done_ = nullptr;
        done(std::move(r));
    }
}

std::chrono::microseconds HttpSession::since_start() const {
    return std::max(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_),
                    std::chrono::microseconds(1));
}

StepResult HttpSession::io_failure(error_code ec, std::string const& what, HttpUrl const& url,
                                   std::error_code otherwise) const {
    if (timed_out_ || Clock::now() >= deadline_) {
        return {
            make_error_code(HttpError::timeout),
            fmt::format("{} {}: no {} within {} ms", method_, url.text(), what, timeout_.count())};
    }
    return {otherwise, fmt::format("{} {}: {}: {}", method_, url.text(), what, ec.message())};
}

// Hop by hop: the engine's connection answers the configured URL; a redirect within
// follow_redirects opens a connection of our own; the last answer is checked.
asio::awaitable<StepResult> HttpSession::run() {
    HttpUrl url = options_.url;
    auto& method = method_;
    std::string body = options_.request_body;
    Socket* socket = &engine_socket_;
    for (int redirects = 0;; ++redirects) {
        HttpAnswer answer;
        bool const may_follow = options_.follow_redirects > 0;
        auto r = co_await hop(*socket, url, method, body, options_.body.has_value(), answer);
        if (r.error) {
            co_return r;
        }
        if (may_follow && is_redirect(answer.status) && !answer.location.empty()) {
            std::string why;
            auto next = resolve_location(url, answer.location, why);
            if (!next) {
                co_return StepResult{make_error_code(HttpError::protocol),
                                     fmt::format("{} {}: {} with a bad Location '{}': {}", method,
                                                 url.text(), answer.status, answer.location, why)};
            }
            if (redirects >= options_.follow_redirects) {
                co_return StepResult{
                    make_error_code(HttpError::redirects),
                    fmt::format("more than {} redirects: {} {} -> {} {}", options_.follow_redirects,
                                method, url.text(), answer.status, next->text())};
            }
            // 303, and 301/302 after a POST, continue as GET without a body (as browsers do).
            if ((answer.status == 303 && method != "HEAD") ||
                ((answer.status == 301 || answer.status == 302) && method == "POST")) {
                method = "GET";
                body.clear();
            }
            url = std::move(*next);
            auto c = co_await connect(url);
            if (c.error) {
                co_return c;
            }
            socket = &*own_socket_;
            continue;
        }
        auto const after = redirects > 0 ? fmt::format(" after {} redirect(s)", redirects) : "";
        if (!options_.status_ok(answer.status)) {
            co_return StepResult{make_error_code(HttpError::status),
                                 fmt::format("{} {}: status {} (expected {}){}", method, url.text(),
                                             answer.status, expected_text(options_), after)};
        }
        if (options_.body) {
            bool matched = false;
            try {
                matched = std::regex_search(answer.body, *options_.body);
            } catch (std::regex_error const&) {
                matched = false;  // too complex for this body: counted as no match
            }
            if (!matched) {
                co_return StepResult{
                    make_error_code(HttpError::body),
                    fmt::format("{} {}: status {}, body ({} bytes read) does not match '{}'{}",
                                method, url.text(), answer.status, answer.body.size(),
                                options_.body_pattern, after)};
            }
        }
        co_return StepResult{
            {}, fmt::format("{} {}: status {}{}", method, url.text(), answer.status, after)};
    }
}

}  // namespace portwatch::probe
