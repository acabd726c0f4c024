#include "http/api.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace portwatch::http {
namespace {

using nlohmann::json;

/// JSON text; bytes that are not UTF-8 (a description may hold any) become U+FFFD.
std::string dump(json const& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json time_or_null(util::TimePoint t) {
    if (t == util::TimePoint{})
        return nullptr;
    return format_utc(t);
}

json optional_number(std::optional<double> v, double scale = 1) {
    if (!v)
        return nullptr;
    return *v * scale;
}

util::Result<std::size_t> parse_size(Url const& url, std::string const& name,
                                     std::size_t fallback) {
    auto const it = url.query.find(name);
    if (it == url.query.end() || it->second.empty())
        return fallback;
    std::size_t v = 0;
    auto const& s = it->second;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
        return util::Error{name + " must be a non-negative integer"};
    return v;
}

/// state= of a query: up|down|unknown (either case); absent or empty: no filter.
util::Result<std::optional<eval::Status>> parse_state(Url const& url) {
    auto const it = url.query.find("state");
    if (it == url.query.end() || it->second.empty())
        return std::optional<eval::Status>();
    auto const& s = it->second;
    if (s == "up" || s == "UP")
        return std::optional(eval::Status::up);
    if (s == "down" || s == "DOWN")
        return std::optional(eval::Status::down);
    if (s == "unknown" || s == "UNKNOWN")
        return std::optional(eval::Status::unknown);
    return util::Error{"state must be up, down or unknown"};
}

/// Whole days until `not_after` at `now`, 0 once past (as the {days_left} placeholder).
std::int64_t days_left(std::int64_t not_after, util::TimePoint now) {
    auto const left =
        not_after -
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    return left <= 0 ? 0 : left / 86400;
}

/// The last check's facts, each only when the probe saw it.
void add_facts(json& j, Snapshot const& snap, TargetView const& t) {
    if (t.cert_not_after != 0) {
        j["cert_not_after"] = format_utc(util::TimePoint(std::chrono::seconds(t.cert_not_after)));
        j["days_left"] = days_left(t.cert_not_after, snap.taken);
    }
    if (t.http_status != 0)
        j["http_status"] = t.http_status;
    if (!t.tls_version.empty())
        j["tls_version"] = t.tls_version;
}

json target_json(Snapshot const& snap, TargetView const& t, TargetHistory const* history) {
    json j = {
        {"id", t.id},
        {"name", t.name},
        {"host", t.host},
        {"port", t.port},
        {"description", t.description},
        {"group", t.group},
        {"labels", t.labels},
        {"state", state_name(t.status)},
        {"since", time_or_null(t.since)},
        {"reason", t.reason},
        {"detail", t.detail},
        {"last_check", time_or_null(t.last_check)},
        {"checks_total", t.checks_total},
        {"state_changes_total", t.transitions_total},
    };
    j["since_seconds"] = t.since == util::TimePoint{}
                             ? json(nullptr)
                             : json(std::chrono::duration<double>(snap.taken - t.since).count());
    j["latency_ms"] = t.last_check == util::TimePoint{}
                          ? json(nullptr)
                          : json(std::chrono::duration<double, std::milli>(t.last_latency).count());
    j["probe_success"] = t.probe_success ? json(*t.probe_success) : json(nullptr);
    add_facts(j, snap, t);
    if (history != nullptr && history->available) {
        json uptime = json::object();
        for (std::size_t i = 0; i < uptime_windows.size(); ++i)
            uptime[std::string(uptime_windows[i].name)] = optional_number(history->uptime[i], 100);
        j["uptime_percent"] = uptime;
    } else {
        j["uptime_percent"] = nullptr;
    }
    return j;
}

json transition_json(store::Transition const& tr, std::string const& id) {
    return {
        {"target", id.empty() ? json(nullptr) : json(id)},
        {"key", tr.target_key},
        {"from", state_name(tr.from)},
        {"to", state_name(tr.to)},
        {"time", time_or_null(tr.time)},
        {"reason", tr.reason},
    };
}

}  // namespace

char const* state_name(eval::Status s) {
    switch (s) {
        case eval::Status::up:
            return "up";
        case eval::Status::down:
            return "down";
        case eval::Status::unknown:
            break;
    }
    return "unknown";
}

std::string format_utc(util::TimePoint t) {
    if (t == util::TimePoint{})
        return "";
    auto const secs = std::chrono::floor<std::chrono::seconds>(t);
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    std::time_t const tt = util::Clock::to_time_t(secs);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

bool group_matches(std::string_view filter, std::string_view group) {
    if (filter.empty())
        return true;
    return filter == no_group ? group.empty() : filter == group;
}

/// The filters and the page start both target queries take: group, state, offset.
template <typename Query>
util::Result<void> parse_filters(Url const& url, Query& q) {
    if (auto it = url.query.find("group"); it != url.query.end())
        q.group = it->second;
    auto state = parse_state(url);
    if (!state)
        return state.error();
    q.state = *state;
    auto offset = parse_size(url, "offset", 0);
    if (!offset)
        return offset.error();
    q.offset = *offset;
    return {};
}

util::Result<TargetQuery> parse_target_query(Url const& url) {
    TargetQuery q;
    if (auto r = parse_filters(url, q); !r)
        return r.error();
    auto limit = parse_limit(url, 100);
    if (!limit)
        return limit.error();
    q.limit = *limit;
    return q;
}

util::Result<std::size_t> parse_limit(Url const& url, std::size_t fallback) {
    auto limit = parse_size(url, "limit", fallback);
    if (!limit)
        return limit;
    if (*limit < 1 || *limit > max_page)
        return util::Error{fmt::format("limit must be between 1 and {}", max_page)};
    return limit;
}

TargetPage select_targets(Snapshot const& snap, TargetQuery const& q) {
    TargetPage page;
    for (auto const& t : snap.targets) {
        if (!group_matches(q.group, t.group))
            continue;
        if (q.state && t.status != *q.state)
            continue;
        if (page.total >= q.offset && page.items.size() < q.limit)
            page.items.push_back(&t);
        ++page.total;
    }
    return page;
}

TargetView const* find_target(Snapshot const& snap, std::string_view id) {
    for (auto const& t : snap.targets) {
        if (t.id == id)
            return &t;
    }
    return nullptr;
}

std::string render_targets(Snapshot const& snap, TargetQuery const& q, TargetPage const& page,
                           std::vector<TargetHistory> const& histories) {
    json items = json::array();
    for (std::size_t i = 0; i < page.items.size(); ++i)
        items.push_back(
            target_json(snap, *page.items[i], i < histories.size() ? &histories[i] : nullptr));
    json j = {
        {"taken", time_or_null(snap.taken)},
        {"total", page.total},
        {"offset", q.offset},
        {"limit", q.limit},
        {"targets", std::move(items)},
    };
    if (q.offset + page.items.size() < page.total) {
        std::string next = fmt::format("/api/v1/targets?offset={}&limit={}",
                                       q.offset + page.items.size(), q.limit);
        if (!q.group.empty())
            next += "&group=" + percent_encode(q.group);
        if (q.state)
            next += std::string("&state=") + state_name(*q.state);
        j["next"] = next;
    } else {
        j["next"] = nullptr;
    }
    return dump(j);
}

std::string render_target(Snapshot const& snap, TargetView const& t, TargetHistory const& history) {
    json j = target_json(snap, t, &history);
    json transitions = json::array();
    for (auto const& tr : history.transitions)
        transitions.push_back(transition_json(tr, t.id));
    j["transitions"] = history.available ? transitions : json(nullptr);
    return dump(j);
}

std::string render_events(Snapshot const& snap, std::vector<store::Transition> const& trs,
                          std::string const& next) {
    std::map<std::string, std::string, std::less<>> ids;
    for (auto const& t : snap.targets)
        ids.emplace(history_key(t), t.id);
    json events = json::array();
    for (auto const& tr : trs) {
        auto const it = ids.find(tr.target_key);
        events.push_back(transition_json(tr, it == ids.end() ? std::string() : it->second));
    }
    return dump(
        json{{"events", std::move(events)}, {"next", next.empty() ? json(nullptr) : json(next)}});
}

util::Result<StatusQuery> parse_status_query(Url const& url, std::size_t fallback_limit) {
    StatusQuery q;
    if (auto r = parse_filters(url, q); !r)
        return r.error();
    auto limit = parse_size(url, "limit", fallback_limit);
    if (!limit)
        return limit.error();
    auto const most = std::max(max_page, fallback_limit);
    if (*limit < 1 || *limit > most)
        return util::Error{fmt::format("limit must be between 1 and {}", most)};
    q.limit = *limit;
    return q;
}

StatusSelection select_status_targets(Snapshot const& snap, StatusQuery const& q) {
    StatusSelection sel;
    sel.limit = q.limit;
    sel.offset = q.offset;
    // Snapshot order is by group, then name: each state's list keeps it.
    std::vector<TargetView const*> down;
    std::vector<TargetView const*> unknown;
    std::size_t up_seen = 0;
    std::map<std::string_view, std::array<std::size_t, 3>> groups;
    for (auto const& t : snap.targets) {
        ++groups[t.group][static_cast<int>(t.status)];
        if (!group_matches(q.group, t.group))
            continue;
        ++sel.total;
        ++sel.counts[static_cast<int>(t.status)];
        if (q.state && t.status != *q.state)
            continue;
        if (t.status == eval::Status::down)
            down.push_back(&t);
        else if (t.status == eval::Status::unknown)
            unknown.push_back(&t);
        else if (up_seen++ >= q.offset && up_seen <= q.offset + q.limit)
            sel.items.push_back(&t);
    }
    // Every problem, whatever the limit: DOWN, then UNKNOWN, before the page of UP ones.
    down.insert(down.end(), unknown.begin(), unknown.end());
    sel.problems = down.size();
    sel.items.insert(sel.items.begin(), down.begin(), down.end());
    sel.groups.assign(groups.begin(), groups.end());
    return sel;
}

std::string render_status_data(Snapshot const& snap, StatusSelection const& sel,
                               std::vector<StatusHistory> const& histories) {
    auto const rank = [](eval::Status s) {
        return s == eval::Status::down ? 0 : s == eval::Status::unknown ? 1 : 2;
    };
    // Display order: groups by their worst state, then name; in a group by state, then name.
    std::map<std::string_view, int> group_rank;
    for (auto const* t : sel.items) {
        auto [it, fresh] = group_rank.emplace(t->group, rank(t->status));
        if (!fresh)
            it->second = std::min(it->second, rank(t->status));
    }
    std::vector<std::size_t> order(sel.items.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    auto const key = [&](std::size_t i) {
        auto const* t = sel.items[i];
        return std::tuple(group_rank[t->group], std::string_view(t->group), rank(t->status),
                          std::string_view(t->name));
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
    json groups = json::array();
    for (auto const i : order) {
        auto const& t = *sel.items[i];
        if (groups.empty() || groups.back()["name"] != t.group)
            groups.push_back({{"name", t.group}, {"targets", json::array()}});
        json days = json::array();
        json spark = json::array();
        if (i < histories.size()) {
            for (auto const& d : histories[i].days)
                days.push_back(optional_number(d));
            for (auto const& l : histories[i].latency_ms)
                spark.push_back(optional_number(l));
        }
        json item = {
            {"id", t.id},
            {"name", t.name.empty() ? t.id : t.name},
            {"address", t.host + ":" + std::to_string(t.port)},
            {"description", t.description},
            {"group", t.group},
            {"state", state_name(t.status)},
            {"since", time_or_null(t.since)},
            {"reason", t.reason},
            {"latency_ms",
             t.last_check == util::TimePoint{}
                 ? json(nullptr)
                 : json(std::chrono::duration<double, std::milli>(t.last_latency).count())},
            {"days", std::move(days)},
            {"latency", std::move(spark)},
        };
        add_facts(item, snap, t);
        groups.back()["targets"].push_back(std::move(item));
    }
    json all_groups = json::array();
    for (auto const& [name, c] : sel.groups)
        all_groups.push_back({{"name", name},
                              {"up", c[static_cast<int>(eval::Status::up)]},
                              {"down", c[static_cast<int>(eval::Status::down)]},
                              {"unknown", c[static_cast<int>(eval::Status::unknown)]}});
    json j = {
        {"taken", time_or_null(snap.taken)},
        {"version", snap.process.version},
        {"counts",
         {{"up", sel.counts[static_cast<int>(eval::Status::up)]},
          {"down", sel.counts[static_cast<int>(eval::Status::down)]},
          {"unknown", sel.counts[static_cast<int>(eval::Status::unknown)]}}},
        {"total", sel.total},
        {"shown", sel.items.size()},
        {"problems", sel.problems},
        {"offset", sel.offset},
        {"limit", sel.limit},
        {"groups", std::move(groups)},
        {"all_groups", std::move(all_groups)},
    };
    return dump(j);
}

std::string render_error(int status, std::string_view message) {
    return dump(json{{"error", json{{"code", status}, {"message", message}}}});
}

}  // namespace portwatch::http
