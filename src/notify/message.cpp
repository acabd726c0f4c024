#include "notify/message.hpp"

#include "util/time.hpp"

namespace portwatch::notify {

namespace {

char const* status_word(eval::EventKind k) {
    switch (k) {
        case eval::EventKind::down:
            return "장애";
        case eval::EventKind::up:
            return "복구";
        case eval::EventKind::cert_expiring:
            return "인증서 만료 임박";
        case eval::EventKind::cert_renewed:
            return "인증서 갱신";
    }
    return "";
}

bool value_of(std::string_view name, eval::Event const& e, std::string& out) {
    if (name == "description") {
        out = e.description;
    } else if (name == "host") {
        out = e.host;
    } else if (name == "port") {
        out = std::to_string(e.port);
    } else if (name == "key") {
        out = e.key;
    } else if (name == "name") {
        out = e.name.empty() ? e.key : e.name;
    } else if (name == "group") {
        out = e.group;
    } else if (name.starts_with("labels.")) {
        auto const it = e.labels.find(std::string(name.substr(7)));
        out = it == e.labels.end() ? std::string() : it->second;
    } else if (name == "time") {
        out = util::format_seed_time(e.time);
    } else if (name == "reason") {
        out = e.reason;
    } else if (name == "detail") {
        out = e.detail;
    } else if (name == "status") {
        out = status_word(e.kind);
    } else if (name == "duration") {
        bool const known = e.down_since != util::TimePoint{} && e.time >= e.down_since;
        out = known ? format_duration(
                          std::chrono::duration_cast<std::chrono::seconds>(e.time - e.down_since))
                    : std::string();
    } else if (name == "cert_not_after") {
        out = e.cert_not_after == 0
                  ? std::string()
                  : util::format_seed_time(util::TimePoint(std::chrono::seconds(e.cert_not_after)));
    } else if (name == "days_left") {
        auto const now =
            std::chrono::duration_cast<std::chrono::seconds>(e.time.time_since_epoch()).count();
        auto const left = e.cert_not_after - now;
        out = std::to_string(left <= 0 ? 0 : left / 86400);
    } else {
        return false;
    }
    return true;
}

}  // namespace

std::string render_template(std::string_view tmpl, eval::Event const& event) {
    std::string out;
    out.reserve(tmpl.size() + 64);
    std::string value;
    for (std::size_t i = 0; i < tmpl.size();) {
        if (tmpl[i] == '{') {
            auto const close = tmpl.find('}', i + 1);
            if (close != std::string_view::npos &&
                value_of(tmpl.substr(i + 1, close - i - 1), event, value)) {
                out += value;
                i = close + 1;
                continue;
            }
        }
        out.push_back(tmpl[i]);
        ++i;
    }
    return out;
}

std::optional<std::string> placeholder_value(std::string_view name, eval::Event const& event) {
    std::string out;
    if (!value_of(name, event, out)) {
        return std::nullopt;
    }
    return out;
}

std::string format_duration(std::chrono::seconds d) {
    auto s = d.count() < 0 ? 0 : d.count();
    std::string out;
    for (auto [unit, name] : {std::pair{86400L, 'd'}, {3600L, 'h'}, {60L, 'm'}}) {
        if (s >= unit || !out.empty()) {
            out += std::to_string(s / unit) + name + ' ';
            s %= unit;
        }
    }
    return out + std::to_string(s) + 's';
}

std::string render(eval::Event const& event, MessageTemplates const& templates) {
    bool const bare = event.description.empty();
    std::string const* tmpl = nullptr;
    switch (event.kind) {
        case eval::EventKind::down:
            tmpl = event.reminder ? (bare ? &templates.reminder_bare : &templates.reminder)
                                  : (bare ? &templates.down_bare : &templates.down);
            break;
        case eval::EventKind::up:
            tmpl = bare ? &templates.up_bare : &templates.up;
            break;
        case eval::EventKind::cert_expiring:
            tmpl = bare ? &templates.cert_expiring_bare : &templates.cert_expiring;
            break;
        case eval::EventKind::cert_renewed:
            tmpl = bare ? &templates.cert_renewed_bare : &templates.cert_renewed;
            break;
    }
    return render_template(*tmpl, event);
}

std::string render_message(eval::Event const& event, MessageTemplates const& templates) {
    return render(event, templates);
}

}  // namespace portwatch::notify
