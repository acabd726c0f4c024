#include "notify/message.hpp"

#include "util/time.hpp"

namespace portwatch::notify {

namespace {

bool value_of(std::string_view name, eval::Event const& e, std::string& out) {
    if (name == "description") {
        out = e.description;
    } else if (name == "host") {
        out = e.host;
    } else if (name == "port") {
        out = std::to_string(e.port);
    } else if (name == "key") {
        out = e.key;
    } else if (name == "time") {
        out = util::format_seed_time(e.time);
    } else if (name == "reason") {
        out = e.reason;
    } else if (name == "status") {
        out = e.kind == eval::EventKind::down ? "장애" : "복구";
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

std::string render(eval::Event const& event, MessageTemplates const& templates) {
    bool const bare = event.description.empty();
    bool const down = event.kind == eval::EventKind::down;
    std::string const& tmpl = event.reminder ? (bare ? templates.reminder_bare : templates.reminder)
                              : down         ? (bare ? templates.down_bare : templates.down)
                                             : (bare ? templates.up_bare : templates.up);
    return render_template(tmpl, event);
}

std::string render_message(eval::Event const& event, MessageTemplates const& templates) {
    return render(event, templates);
}

}  // namespace portwatch::notify
