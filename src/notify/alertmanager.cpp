#include "notify/alertmanager.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <charconv>
#include <functional>

#include <fmt/format.h>

#include "notify/http_notifier.hpp"
#include "notify/secret.hpp"

namespace portwatch::notify {

namespace asio = boost::asio;

namespace {

bool is_cert(eval::EventKind k) {
    return k == eval::EventKind::cert_expiring || k == eval::EventKind::cert_renewed;
}

bool resolves(eval::EventKind k) {
    return k == eval::EventKind::up || k == eval::EventKind::cert_renewed;
}

/// A valid Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, others replaced by '_'.
std::string label_name(std::string s) {
    for (auto& c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
            c = '_';
        }
    }
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) {
        s.insert(0, "_");
    }
    return s;
}

/// "60s", "2m", "500ms" or seconds; nullopt when not a duration.
std::optional<std::chrono::milliseconds> parse_interval(std::string const& s) {
    long long n = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || n < 0) {
        return std::nullopt;
    }
    std::string_view const unit(end, s.data() + s.size() - end);
    if (unit.empty() || unit == "s") {
        return std::chrono::seconds(n);
    }
    if (unit == "ms") {
        return std::chrono::milliseconds(n);
    }
    if (unit == "m") {
        return std::chrono::minutes(n);
    }
    return std::nullopt;
}

constexpr auto max_resend = std::chrono::seconds(60);

/// The firing alerts of each Alertmanager destination (by name and URL), kept with the
/// io_context so that a notifier made again on a reload goes on re-sending them.
class FiringSets : public asio::execution_context::service {
  public:
    using key_type = FiringSets;
    static inline asio::execution_context::id id;
    explicit FiringSets(asio::execution_context& ctx) : service(ctx) {}
    std::map<std::string, std::map<std::string, std::string>> sets;

  private:
    void shutdown() override {}
};

}  // namespace

std::string alertmanager_alert(Notification const& n, AlertmanagerOptions const& options) {
    auto const& e = n.event;
    nlohmann::ordered_json labels;
    std::map<std::string, std::string> all;
    for (auto const& [k, v] : options.labels) {
        all[label_name(k)] = v;
    }
    for (auto const& [k, v] : e.labels) {
        all[label_name(k)] = v;
    }
    // portwatch's own labels identify the alert: they win over same-named ones.
    all["alertname"] = is_cert(e.kind) ? "PortwatchCertExpiring" : "PortwatchTargetDown";
    all["target"] = e.name.empty() ? e.key : e.name;
    all["key"] = e.key;
    if (!e.group.empty()) {
        all["group"] = e.group;
    }
    for (auto const& [k, v] : all) {
        labels[k] = v;
    }
    nlohmann::ordered_json annotations;
    annotations["summary"] = n.message;
    if (!e.detail.empty()) {
        annotations["description"] = e.detail;
    }
    if (!e.description.empty()) {
        annotations["target_description"] = e.description;
    }
    nlohmann::ordered_json j;
    j["labels"] = labels;
    j["annotations"] = annotations;
    auto const start =
        !is_cert(e.kind) && e.down_since != util::TimePoint{} ? e.down_since : e.time;
    j["startsAt"] = iso_utc(start);
    if (resolves(e.kind)) {
        j["endsAt"] = iso_utc(e.time);
    }
    return dump_json(j);
}

std::string alertmanager_payload(Notification const& n, AlertmanagerOptions const& options) {
    return "[" + alertmanager_alert(n, options) + "]";
}

struct AlertmanagerNotifier::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::io_context& io_, std::string name_, std::string url_, TransferTls tls_,
         AlertmanagerOptions options_, std::chrono::milliseconds interval_)
        : name(std::move(name_)),
          url(std::move(url_)),
          tls(std::move(tls_)),
          options(std::move(options_)),
          interval(interval_),
          client(TransferClient::of(io_)),
          timer(io_),
          firing(asio::use_service<FiringSets>(io_).sets[name + '\x1f' + url]) {}

    static std::string alert_id(eval::Event const& e) {
        return fmt::format("{}\x1f{}", is_cert(e.kind) ? "cert" : "down", e.key);
    }

    void restore(Notification const& n) {
        if (resolves(n.event.kind)) {
            return;
        }
        // A set kept from before a reload already holds what was sent.
        firing.try_emplace(alert_id(n.event), alertmanager_alert(n, options));
        arm();
    }

    void deliver(Notification const& n, std::chrono::milliseconds timeout, Completion done) {
        auto const& e = n.event;
        auto const id = alert_id(e);
        auto alert = alertmanager_alert(n, options);
        auto request = json_post(url, "[" + alert + "]", tls);
        request.timeout = timeout;
        std::weak_ptr<Impl> weak = shared_from_this();
        // A firing alert refused for good is not re-sent: it cannot succeed, and in the
        // re-sent batch it would have the others refused with it.
        auto forget = [weak, id, alert, fires = !resolves(e.kind)](DeliveryResult const& r) {
            auto self = weak.lock();
            if (fires && self && r.error == DeliveryCondition::permanent) {
                if (auto const it = self->firing.find(id);
                    it != self->firing.end() && it->second == alert) {
                    self->firing.erase(it);
                }
            }
        };
        auto send = [client = client, request = std::move(request), done = std::move(done),
                     forget = std::move(forget),
                     secrets = std::vector<std::string>{url}]() mutable {
            client->http(std::move(request), [done = std::move(done), forget = std::move(forget),
                                              secrets](HttpResponse r) {
                auto result = map_http_outcome(r, secrets);
                forget(result);
                done(std::move(result));
            });
        };
        if (!resolves(e.kind)) {
            firing[id] = std::move(alert);
            arm();
            send();
            return;
        }
        firing.erase(id);
        // A re-send in flight could reach Alertmanager after the resolve and fire it again.
        if (resending) {
            after_resend.push_back(std::move(send));
        } else {
            send();
        }
    }

    void arm() {
        if (armed || firing.empty()) {
            return;
        }
        armed = true;
        timer.expires_after(interval);
        std::weak_ptr<Impl> weak = shared_from_this();
        timer.async_wait([weak](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) {
                self->armed = false;
                self->resend();
            }
        });
    }

    /// Re-posts every firing alert in one request, then waits for the next round.
    void resend() {
        if (firing.empty()) {
            return;
        }
        std::string body = "[";
        for (auto const& [id, alert] : firing) {
            body += (body.size() > 1 ? "," : "") + alert;
        }
        body += "]";
        auto request = json_post(url, std::move(body), tls);
        request.timeout = std::min<std::chrono::milliseconds>(interval, std::chrono::seconds(30));
        resending = true;
        std::weak_ptr<Impl> weak = shared_from_this();
        client->http(std::move(request), [weak](HttpResponse) {
            auto self = weak.lock();
            if (!self) {
                return;
            }
            self->resending = false;
            auto waiting = std::move(self->after_resend);
            self->after_resend.clear();
            for (auto& send : waiting) {
                send();
            }
            self->arm();
        });
    }

    std::string name;
    std::string url;
    TransferTls tls;
    AlertmanagerOptions options;
    std::chrono::milliseconds interval;
    std::shared_ptr<TransferClient> client;
    asio::steady_timer timer;
    /// By alert name and key; lives in the io_context's FiringSets.
    std::map<std::string, std::string>& firing;
    bool armed = false;
    bool resending = false;
    std::vector<std::function<void()>> after_resend;
};

AlertmanagerNotifier::AlertmanagerNotifier(asio::io_context& io, std::string name, std::string url,
                                           TransferTls tls, AlertmanagerOptions options,
                                           std::chrono::milliseconds resend_interval)
    : impl_(std::make_shared<Impl>(io, std::move(name), std::move(url), std::move(tls),
                                   std::move(options), resend_interval)) {
    impl_->arm();  // alerts a previous notifier of this destination left firing
}

AlertmanagerNotifier::~AlertmanagerNotifier() {
    // Resolves still waiting for a re-send go out now: their completions must run.
    auto waiting = std::move(impl_->after_resend);
    for (auto& send : waiting) {
        send();
    }
    impl_->timer.cancel();
}

std::string const& AlertmanagerNotifier::name() const {
    return impl_->name;
}

void AlertmanagerNotifier::deliver(Notification const& n, std::chrono::milliseconds timeout,
                                   Completion done) {
    impl_->deliver(n, timeout, std::move(done));
}

void AlertmanagerNotifier::restore_firing(Notification const& n) {
    impl_->restore(n);
}

std::size_t AlertmanagerNotifier::firing() const {
    return impl_->firing.size();
}

void validate_alertmanager(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_http_options(spec, {"labels", "resend_interval"}, false, out);
    validate_http_common(spec, true, false, out);
    if (auto const it = spec.options.find("labels"); it != spec.options.end()) {
        if (!it->second.mapping) {
            out.push_back(config::option_error(spec, "labels", "expected a mapping NAME: VALUE"));
        }
        for (auto const& [k, v] : it->second.entries) {
            if (label_name(k) != k) {
                out.push_back(config::option_error(
                    spec, "labels",
                    fmt::format("'{}' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)", k)));
            }
        }
    }
    if (spec.options.contains("resend_interval")) {
        auto const d = parse_interval(option_value(spec, "resend_interval"));
        if (!d || *d < std::chrono::milliseconds(100) || *d > max_resend) {
            out.push_back(config::option_error(spec, "resend_interval",
                                               "expected a duration from 100ms to 60s"));
        }
    }
}

std::unique_ptr<Notifier> create_alertmanager(asio::io_context& io,
                                              config::NotifierSpec const& spec,
                                              NotifierContext const& context) {
    auto const endpoint = http_endpoint(spec, context, "");
    AlertmanagerOptions options;
    if (auto const it = spec.options.find("labels"); it != spec.options.end()) {
        options.labels = it->second.entries;
    }
    auto const interval =
        parse_interval(option_value(spec, "resend_interval", "60s")).value_or(max_resend);
    return std::make_unique<AlertmanagerNotifier>(io, spec.name,
                                                  join_url(endpoint.url, "/api/v2/alerts"),
                                                  endpoint.tls, std::move(options), interval);
}

}  // namespace portwatch::notify
