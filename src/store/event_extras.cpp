#include "store/event_extras.hpp"

#include "util/time.hpp"

namespace portwatch::store {

nlohmann::ordered_json extras_to_json(eval::Event const& e) {
    auto j = nlohmann::ordered_json::object();
    if (!e.name.empty()) {
        j["name"] = e.name;
    }
    if (!e.group.empty()) {
        j["group"] = e.group;
    }
    if (!e.labels.empty()) {
        j["labels"] = e.labels;
    }
    if (e.down_since != util::TimePoint{}) {
        j["down_since"] = util::to_epoch_seconds(e.down_since);
    }
    if (e.cert_not_after != 0) {
        j["cert_not_after"] = e.cert_not_after;
    }
    return j;
}

std::string extras_to_text(eval::Event const& e) {
    auto const j = extras_to_json(e);
    // Names and labels come from the config (valid UTF-8); replace rather than throw anyway.
    return j.empty() ? std::string()
                     : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void extras_from_json(nlohmann::json const& j, eval::Event& e) {
    if (!j.is_object()) {
        return;
    }
    if (auto it = j.find("name"); it != j.end() && it->is_string()) {
        e.name = it->get<std::string>();
    }
    if (auto it = j.find("group"); it != j.end() && it->is_string()) {
        e.group = it->get<std::string>();
    }
    if (auto it = j.find("labels"); it != j.end() && it->is_object()) {
        for (auto const& [k, v] : it->items()) {
            if (v.is_string()) {
                e.labels[k] = v.get<std::string>();
            }
        }
    }
    if (auto it = j.find("down_since"); it != j.end() && it->is_number()) {
        e.down_since = util::from_epoch_seconds(it->get<double>());
    }
    if (auto it = j.find("cert_not_after"); it != j.end() && it->is_number_integer()) {
        e.cert_not_after = it->get<std::int64_t>();
    }
}

void extras_from_text(std::string_view text, eval::Event& e) {
    if (text.empty()) {
        return;
    }
    auto const j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_discarded()) {
        extras_from_json(j, e);
    }
}

}  // namespace portwatch::store
