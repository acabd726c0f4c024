#include "store/json_state_reader.hpp"

#include <charconv>
#include <cstdint>
#include <string_view>

#include <simdjson.h>

#include "util/time.hpp"
#include "util/utf8.hpp"

namespace portwatch::store::detail {

namespace {

constexpr char const* reserved_key = "_portwatch";

/// Takes the document's values in file order, as SAX events. Returning false stops the walk:
/// the file is not of the common shape, and the full reader takes over.
class Handler {
  public:
    StateBulk bulk;

    bool null() { return scalar(std::nullopt, nullptr); }
    bool boolean(bool) { return scalar(std::nullopt, nullptr); }
    bool number(double v) { return scalar(v, nullptr); }
    bool string(std::string& v) {
        if (level_ == Level::top) {
            return top_status(v);
        }
        return scalar(std::nullopt, &v);
    }
    bool key(std::string& k) {
        switch (level_) {
            case Level::top:
                key_ = std::move(k);
                return true;
            case Level::section:
                section_key_ = std::move(k);
                return true;
            case Level::targets:
                target_key_ = std::move(k);
                return true;
            case Level::entry:
                field_ = std::move(k);
                return true;
            default:
                return false;
        }
    }

    bool start_object() {
        switch (level_) {
            case Level::before:
                level_ = Level::top;
                return true;
            case Level::top:
                if (key_ != reserved_key || bulk.has_section) {
                    return false;  // a value that needs a warning, or a repeated section
                }
                bulk.has_section = true;
                level_ = Level::section;
                return true;
            case Level::section:
                if (section_key_ != "targets" || seen_targets_) {
                    return false;
                }
                seen_targets_ = true;
                level_ = Level::targets;
                return true;
            case Level::targets:
                fields_ = EntryFields{};
                level_ = Level::entry;
                return true;
            default:
                return false;
        }
    }

    bool end_object() {
        switch (level_) {
            case Level::top:
                level_ = Level::done;
                return true;
            case Level::section:
                level_ = Level::top;
                return true;
            case Level::targets:
                level_ = Level::section;
                return true;
            case Level::entry:
                bulk.extras.insert_or_assign(target_key_, fields_.to_extra());
                level_ = Level::targets;
                return true;
            default:
                return false;
        }
    }

    bool start_array() {
        // Only an empty outbox is of the common shape.
        if (level_ != Level::section || section_key_ != "outbox") {
            return false;
        }
        level_ = Level::outbox;
        return true;
    }

    bool end_array() {
        if (level_ != Level::outbox) {
            return false;
        }
        level_ = Level::section;
        return true;
    }

  private:
    enum class Level : std::uint8_t { before, top, section, targets, entry, outbox, done };

    bool top_status(std::string const& v) {
        std::optional<eval::Status> status;
        if (v == "UP") {
            status = eval::Status::up;
        } else if (v == "DOWN") {
            status = eval::Status::down;
        } else {
            return false;  // the full reader warns about it
        }
        if (key_ == reserved_key) {
            return false;
        }
        auto const [it, fresh] = index_.try_emplace(key_, bulk.top.size());
        if (fresh) {
            bulk.top.push_back(TopEntry{key_, status});
        } else {
            bulk.top[it->second].status = status;
        }
        return true;
    }

    // A scalar other than a top-level string: `number` is set for numbers, `text` for
    // strings.
    bool scalar(std::optional<double> number, std::string* text) {
        switch (level_) {
            case Level::section:
                // version and fields of later formats; targets/outbox must not be scalars.
                return section_key_ != "targets" && section_key_ != "outbox";
            case Level::targets:
                return true;  // a target entry that is not an object counts for nothing
            case Level::entry:
                fields_.set(field_, number, text);
                return true;
            default:
                return false;  // the root, a top-level value, an outbox entry
        }
    }

    Level level_ = Level::before;
    bool seen_targets_ = false;
    std::string key_, section_key_, target_key_, field_;
    EntryFields fields_;
    std::unordered_map<std::string, std::size_t> index_;
};

/// Feeds `e` and everything in it to `h`, in file order (a repeated key included, as a SAX
/// parser would). The handler stops at the first value out of the common shape, so the
/// recursion goes at most four objects deep on success.
bool walk(simdjson::dom::element e, Handler& h) {
    // Each case reads the type it was dispatched on: value_unsafe() cannot fail there.
    using Type = simdjson::dom::element_type;
    switch (e.type()) {
        case Type::OBJECT: {
            if (!h.start_object()) {
                return false;
            }
            simdjson::dom::object const members = e.get_object().value_unsafe();
            for (auto const [k, v] : members) {
                std::string key(k);
                if (!h.key(key) || !walk(v, h)) {
                    return false;
                }
            }
            return h.end_object();
        }
        case Type::ARRAY: {
            if (!h.start_array()) {
                return false;
            }
            simdjson::dom::array const items = e.get_array().value_unsafe();
            for (auto const v : items) {
                if (!walk(v, h)) {
                    return false;
                }
            }
            return h.end_array();
        }
        case Type::STRING: {
            std::string text{e.get_string().value_unsafe()};
            return h.string(text);
        }
        case Type::INT64:
            return h.number(static_cast<double>(e.get_int64().value_unsafe()));
        case Type::UINT64:
            return h.number(static_cast<double>(e.get_uint64().value_unsafe()));
        case Type::DOUBLE:
            return h.number(e.get_double().value_unsafe());
        case Type::BOOL:
            return h.boolean(e.get_bool().value_unsafe());
        case Type::NULL_VALUE:
            return h.null();
    }
    return false;
}

}  // namespace

void EntryFields::set(std::string_view name, std::optional<double> number, std::string* text) {
    auto set_text = [&](std::optional<std::string>& slot) {
        slot = text != nullptr ? std::optional(std::move(*text)) : std::nullopt;
    };
    if (name == "status") {
        set_text(status.plain);
    } else if (name == "status_hex") {
        set_text(status.hex);
    } else if (name == "reason") {
        set_text(reason.plain);
    } else if (name == "reason_hex") {
        set_text(reason.hex);
    } else if (name == "since") {
        since = number;
    } else if (name == "failures") {
        failures = number;
    } else if (name == "successes") {
        successes = number;
    } else if (name == "last_check") {
        last_check = number;
    } else if (name == "last_alert") {
        last_alert = number;
    } else if (name == "cert_warned") {
        cert_warned = number;
    } else if (name == "cert_warned_at") {
        cert_warned_at = number;
    } else if (name == "recent") {
        set_text(recent);
    }
}

Extra EntryFields::to_extra() const {
    Extra e;
    e.status = status.value();
    e.fields.since = util::from_epoch_seconds(since.value_or(0));
    e.fields.reason = reason.value();
    e.fields.consecutive_failures = clamp_number(failures.value_or(0), 0, max_count);
    e.fields.consecutive_successes = clamp_number(successes.value_or(0), 0, max_count);
    e.fields.last_check = util::from_epoch_seconds(last_check.value_or(0));
    e.fields.recent_failures = recent ? recent_from_text(*recent) : 0;
    e.fields.last_alert = util::from_epoch_seconds(last_alert.value_or(0));
    e.fields.cert_warned = clamp_number<std::int64_t>(cert_warned.value_or(0), 0, max_cert_time);
    e.fields.cert_warned_at = util::from_epoch_seconds(cert_warned_at.value_or(0));
    return e;
}

std::string SavedText::value() const {
    if (plain) {
        return *plain;
    }
    std::string out;
    if (hex && util::from_hex(*hex, out)) {
        return out;
    }
    return {};
}

std::string recent_text(std::uint64_t bits) {
    char buf[17];
    auto const r = std::to_chars(buf, buf + sizeof buf, bits, 16);
    return std::string(buf, r.ptr);
}

std::uint64_t recent_from_text(std::string const& text) {
    std::uint64_t bits = 0;
    auto const* end = text.data() + text.size();
    auto const r = std::from_chars(text.data(), end, bits, 16);
    return !text.empty() && text.size() <= 16 && r.ec == std::errc() && r.ptr == end ? bits : 0;
}

std::optional<StateBulk> read_state_fast(std::string text) {
    // A \u escape goes to the full reader: the two libraries differ on a lone surrogate
    // (nlohmann refuses it; simdjson may write it as bytes that are not UTF-8). The files
    // portwatch writes have none: nlohmann writes non-ASCII text as UTF-8, not escaped, and
    // control characters are the only escapes left, which no key, status or reason holds.
    if (text.find("\\u") != std::string::npos) {
        return std::nullopt;
    }
    // simdjson validates all of the document (UTF-8, numbers, literals, nothing after it)
    // before the walk; an error of any kind (not JSON, an integer beyond 64 bits, too deep)
    // is the full reader's to report. A parser per call: a run loads one file.
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(text).get(root) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    std::string().swap(text);
    Handler h;
    if (!walk(root, h)) {
        return std::nullopt;
    }
    return std::move(h.bulk);
}

}  // namespace portwatch::store::detail
