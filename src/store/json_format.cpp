#include "store/json_store.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "store/event_extras.hpp"
#include "store/json_state_reader.hpp"
#include "util/atomic_file.hpp"
#include "util/utf8.hpp"

namespace portwatch::store {

namespace fs = std::filesystem;
// Written in insertion order (the file keeps list order); read into std::map-backed objects,
// whose lookups are O(log n): ordered_json looks keys up linearly, which made loading and
// saving 10,000 targets quadratic (bench/RESULTS.md).
using Json = nlohmann::ordered_json;
using ReadJson = nlohmann::json;
using detail::recent_from_text;
using detail::recent_text;

namespace {

/// Version 1 has one destination; version 2 names each outbox entry's. A file is written in
/// the lowest version that holds its content, so a seed-list run writes the bytes it always
/// did, and a portwatch of version 1 still reads every file that has no destination in it.
constexpr int format_version_v1 = 1;
constexpr int format_version_v2 = 2;

/// Text that is not valid UTF-8 cannot be a JSON string: it is kept as "<name>_hex".
void put_text(Json& obj, char const* name, std::string const& value) {
    if (util::is_valid_utf8(value)) {
        obj[name] = value;
    } else {
        obj[std::string(name) + "_hex"] = util::to_hex(value);
    }
}

std::string get_text(ReadJson const& obj, char const* name) {
    detail::SavedText text;
    if (auto const it = obj.find(name); it != obj.end() && it->is_string()) {
        text.plain = it->get<std::string>();
    } else if (auto const h = obj.find(std::string(name) + "_hex");
               h != obj.end() && h->is_string()) {
        text.hex = h->get<std::string>();
    }
    return text.value();
}

double get_number(ReadJson const& obj, char const* name, double fallback = 0) {
    auto const it = obj.find(name);
    return it != obj.end() && it->is_number() ? it->get<double>() : fallback;
}

template <typename Int>
Int get_int(ReadJson const& obj, char const* name, Int lo, Int hi) {
    return detail::clamp_number(get_number(obj, name), lo, hi);
}

Json time_json(util::TimePoint t) {
    return util::to_epoch_seconds(t);
}

util::TimePoint get_time(ReadJson const& obj, char const* name) {
    return util::from_epoch_seconds(get_number(obj, name));
}

Json entry_to_json(OutboxEntry const& e) {
    Json j = Json::object();
    j["id"] = e.event.id;
    if (!e.destination.empty()) {
        put_text(j, "destination", e.destination);
    }
    j["event"] = eval::event_kind_name(e.event.kind);
    put_text(j, "key", e.event.key);
    put_text(j, "host", e.event.host);
    j["port"] = e.event.port;
    put_text(j, "description", e.event.description);
    put_text(j, "reason", e.event.reason);
    put_text(j, "detail", e.event.detail);
    j["time"] = time_json(e.event.time);
    put_text(j, "message", e.message);
    j["attempts"] = e.attempts;
    j["next_attempt"] = time_json(e.next_attempt);
    put_text(j, "last_error", e.last_error);
    if (auto extras = extras_to_json(e.event); !extras.empty()) {
        j["extras"] = std::move(extras);
    }
    return j;
}

std::optional<OutboxEntry> entry_from_json(ReadJson const& j) {
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) {
        return std::nullopt;
    }
    OutboxEntry e;
    e.event.id = j["id"].get<std::string>();
    e.destination = get_text(j, "destination");
    e.event.kind = eval::event_kind_from_name(get_text(j, "event")).value_or(eval::EventKind::down);
    e.event.key = get_text(j, "key");
    e.event.host = get_text(j, "host");
    e.event.port = get_int<std::uint16_t>(j, "port", 0, 65535);
    e.event.description = get_text(j, "description");
    e.event.reason = get_text(j, "reason");
    e.event.detail = get_text(j, "detail");
    e.event.time = get_time(j, "time");
    e.message = get_text(j, "message");
    e.attempts = get_int(j, "attempts", 0, detail::max_count);
    e.next_attempt = get_time(j, "next_attempt");
    e.last_error = get_text(j, "last_error");
    if (auto const it = j.find("extras"); it != j.end()) {
        extras_from_json(*it, e.event);
    }
    if (e.message.empty()) {
        return std::nullopt;
    }
    return e;
}

std::optional<eval::Status> status_from(ReadJson const& v) {
    if (v.is_string()) {
        auto const& s = v.get_ref<std::string const&>();
        if (s == "UP") {
            return eval::Status::up;
        }
        if (s == "DOWN") {
            return eval::Status::down;
        }
    }
    return std::nullopt;
}

}  // namespace

// Streams the file rather than building a DOM first (which, for 100,000 targets, cost more
// memory than everything else in a run). The layout is ordered_json's dump(4) for the same
// document, except that each _portwatch.targets entry is one line in dump()'s compact form:
// indented, those entries were 80% of the file's bytes (30 MB at 100,000 targets, 290 MB at a
// million), all of it read back by the next run. Every scalar goes through nlohmann's dump.
std::string JsonStore::serialize(State const& state) {
    auto scalar = [](auto const& v) { return Json(v).dump(); };
    std::string out;
    out.reserve(256 + state.targets.size() * 200);
    out += "{";
    char const* sep = "\n";
    // Keys are unique in a State; should one repeat, the first entry wins.
    std::unordered_set<std::string_view> seen;
    seen.reserve(state.targets.size());
    for (auto const& [key, s] : state.targets) {
        if (!seen.insert(key).second || s.status == eval::Status::unknown) {
            continue;  // the seed's format has no word for unknown; kept under _portwatch only
        }
        out += sep;
        out += "    ";
        out += scalar(key);
        out += ": \"";
        out += eval::status_name(s.status);
        out += '"';
        sep = ",\n";
    }
    out += sep;
    out += "    \"";
    out += reserved_key;
    out += "\": {\n        \"version\": ";
    bool const v2 = std::any_of(state.outbox.begin(), state.outbox.end(),
                                [](OutboxEntry const& e) { return !e.destination.empty(); });
    out += std::to_string(v2 ? format_version_v2 : format_version_v1);
    out += ",\n        \"targets\": {";
    seen.clear();
    sep = "\n";
    for (auto const& [key, s] : state.targets) {
        if (!seen.insert(key).second) {
            continue;
        }
        out += sep;
        out += "            ";
        out += scalar(key);
        out += ": {\"status\":\"";
        out += eval::status_name(s.status);
        out += "\",\"since\":";
        out += time_json(s.since).dump();
        // A reason read from a hand-edited "reason_hex" may be any bytes (as put_text does).
        bool const utf8 = util::is_valid_utf8(s.reason);
        out += utf8 ? ",\"reason\":" : ",\"reason_hex\":";
        out += scalar(utf8 ? s.reason : util::to_hex(s.reason));
        out += ",\"failures\":";
        out += scalar(s.consecutive_failures);
        out += ",\"successes\":";
        out += scalar(s.consecutive_successes);
        out += ",\"last_check\":";
        out += time_json(s.last_check).dump();
        // Only kept while a flap window or reminders are configured: absent otherwise, so a
        // seed-list run's file is unchanged by them.
        if (s.recent_failures != 0) {
            out += ",\"recent\":";
            out += scalar(recent_text(s.recent_failures));
        }
        if (s.last_alert != util::TimePoint{}) {
            out += ",\"last_alert\":";
            out += time_json(s.last_alert).dump();
        }
        if (s.cert_warned != 0) {
            out += ",\"cert_warned\":";
            out += scalar(s.cert_warned);
            out += ",\"cert_warned_at\":";
            out += time_json(s.cert_warned_at).dump();
        }
        out += '}';
        sep = ",\n";
    }
    out += seen.empty() ? "}" : "\n        }";
    out += ",\n        \"outbox\": ";
    Json outbox = Json::array();
    for (auto const& e : state.outbox) {
        outbox.push_back(entry_to_json(e));
    }
    // Indented as a member at depth 2 (JSON strings hold no raw newline, so this is safe).
    for (char const c : outbox.dump(4)) {
        out += c;
        if (c == '\n') {
            out += "        ";
        }
    }
    out += "\n    }\n}\n";
    return out;
}

namespace {

using detail::Extra;
using detail::StateBulk;
using detail::TopEntry;

Extra extra_from_json(ReadJson const& t) {
    Extra e;
    e.status = get_text(t, "status");
    e.fields.since = get_time(t, "since");
    e.fields.reason = get_text(t, "reason");
    e.fields.consecutive_failures = get_int(t, "failures", 0, detail::max_count);
    e.fields.consecutive_successes = get_int(t, "successes", 0, detail::max_count);
    e.fields.last_check = get_time(t, "last_check");
    if (auto const it = t.find("recent"); it != t.end() && it->is_string()) {
        e.fields.recent_failures = recent_from_text(it->get_ref<std::string const&>());
    }
    e.fields.last_alert = get_time(t, "last_alert");
    e.fields.cert_warned = get_int<std::int64_t>(t, "cert_warned", 0, detail::max_cert_time);
    e.fields.cert_warned_at = get_time(t, "cert_warned_at");
    return e;
}

/// The state from the bulk. `value_text` gives the JSON text of a top-level value that is
/// not a status (for its warning).
template <typename ValueText>
Loaded assemble(StateBulk& bulk, ValueText const& value_text) {
    Loaded out;
    out.state.targets.reserve(bulk.top.size());
    for (auto& t : bulk.top) {
        if (!t.status) {
            out.warnings.push_back(
                fmt::format("state entry \"{}\" has value {}, not \"UP\" or \"DOWN\"; ignored",
                            t.key, value_text(t.key)));
            continue;
        }
        eval::TargetState s;
        s.status = *t.status;
        // A _portwatch entry only counts while its section is an object, as it always was.
        if (auto const it = bulk.extras.find(t.key); it != bulk.extras.end() && bulk.has_section) {
            // The top level wins: it may have been rewritten by the original script.
            s = std::move(it->second.fields);
            s.status = *t.status;
            if (it->second.status != eval::status_name(s.status)) {
                s.consecutive_failures = s.status == eval::Status::down ? 1 : 0;
                s.consecutive_successes = s.status == eval::Status::up ? 1 : 0;
                s.recent_failures = 0;
                s.last_alert = {};
                s.cert_warned = 0;
                s.cert_warned_at = {};
            }
        }
        out.state.targets.emplace_back(std::move(t.key), std::move(s));
    }
    return out;
}

/// The fast reader's result, for the common file; nullopt sends the caller to the full reader.
std::optional<Loaded> parse_fast(std::string text) {
    auto bulk = detail::read_state_fast(std::move(text));
    if (!bulk) {
        return std::nullopt;
    }
    // No top-level value needs a warning in a file the fast reader takes.
    return assemble(*bulk, [](std::string const&) { return std::string(); });
}

}  // namespace

// The common file (statuses, target entries, an empty outbox) goes through the fast reader
// (simdjson, no JSON value per target); anything else through the full reader below.
util::Result<Loaded> JsonStore::parse(std::string const& text) {
    if (auto fast = parse_fast(text)) {
        return std::move(*fast);
    }
    return parse_full(text);
}

// parse(), without holding the file's text and its parsed document at once: the fast reader
// takes the text and frees it once parsed, and a file off its shape is read again for the
// full reader. The run holds the state lock, so both reads see the same file.
util::Result<Loaded> JsonStore::parse_file(std::string text) const {
    if (auto fast = parse_fast(std::move(text))) {
        return std::move(*fast);
    }
    auto again = util::read_file(path_, no_read_limit);
    if (!again) {
        return again.error();
    }
    return parse_full(*again);
}

// One pass, and no DOM for the bulk: each top-level "KEY": "UP"|"DOWN" and each
// _portwatch.targets entry is taken out of the document as soon as it is parsed (a DOM of
// 100,000 targets cost more time and memory than the rest of a run). What stays in the DOM is
// small: the outbox, and any top-level value that is not a status (kept for its warning).
util::Result<Loaded> JsonStore::parse_full(std::string const& text) {
    StateBulk bulk;
    std::unordered_map<std::string, std::size_t> top_index;
    std::vector<std::string> keys(5);  // the key being read at each depth
    std::vector<bool> in_object(5);    // whether the values at each depth are object members
    auto note_top = [&](std::optional<eval::Status> status) {
        auto const [it, fresh] = top_index.try_emplace(keys[1], bulk.top.size());
        if (fresh) {
            bulk.top.push_back(TopEntry{keys[1], status});
        } else {
            bulk.top[it->second].status = status;
        }
    };
    using Event = ReadJson::parse_event_t;
    auto const callback = [&](int depth, Event event, ReadJson& parsed) -> bool {
        auto const d = static_cast<std::size_t>(depth);
        switch (event) {
            case Event::object_start:
            case Event::array_start:
                if (d + 1 >= in_object.size()) {
                    in_object.resize(d + 2);
                }
                in_object[d + 1] = event == Event::object_start;
                return true;
            case Event::key:
                if (d >= keys.size()) {
                    keys.resize(d + 1);
                }
                keys[d] = parsed.get_ref<std::string const&>();
                return true;
            case Event::value:
                if (d == 1 && in_object[1] && keys[1] != reserved_key) {
                    auto const status = status_from(parsed);
                    note_top(status);
                    return !status;  // a status is taken out; anything else stays for its warning
                }
                return true;
            case Event::object_end:
            case Event::array_end:
                if (d == 3 && event == Event::object_end && in_object[1] && in_object[2] &&
                    in_object[3] && keys[1] == reserved_key && keys[2] == "targets") {
                    bulk.extras.insert_or_assign(keys[3], extra_from_json(parsed));
                    return false;
                }
                if (d == 1 && in_object[1] && keys[1] != reserved_key) {
                    note_top(std::nullopt);
                }
                return true;
        }
        return true;
    };
    ReadJson root;
    try {
        root = ReadJson::parse(text, callback);
    } catch (ReadJson::exception const& e) {
        return util::Error{fmt::format("not valid JSON: {}", e.what())};
    }
    if (!root.is_object()) {
        return util::Error{"not a JSON object"};
    }
    ReadJson const* extra = nullptr;
    if (auto const it = root.find(reserved_key); it != root.end() && it->is_object()) {
        extra = &*it;
    }
    bulk.has_section = extra != nullptr;
    Loaded out = assemble(bulk, [&root](std::string const& key) {
        auto const it = root.find(key);
        return it != root.end() ? it->dump() : std::string("null");
    });
    if (extra != nullptr) {
        if (auto const it = extra->find("outbox"); it != extra->end() && it->is_array()) {
            for (auto const& j : *it) {
                if (auto e = entry_from_json(j)) {
                    out.state.outbox.push_back(std::move(*e));
                } else {
                    out.warnings.push_back("an outbox entry without id or message was ignored: " +
                                           j.dump().substr(0, 200));
                }
            }
        }
    }
    return out;
}

}  // namespace portwatch::store
