#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "http/history.hpp"
#include "http/snapshot.hpp"
#include "http/url.hpp"
#include "util/result.hpp"

namespace portwatch::http {

/// The group filter value meaning "targets without a group" (`group=-`).
inline constexpr std::string_view no_group = "-";

/// True when a target of `group` passes the group= filter `filter`: empty passes every
/// target, "-" those without a group, anything else that group only.
bool group_matches(std::string_view filter, std::string_view group);

/// Filters and page of GET /api/v1/targets.
struct TargetQuery {
    std::string group;                  ///< empty: every group; "-": targets without one
    std::optional<eval::Status> state;  ///< empty: every state
    std::size_t offset = 0;
    std::size_t limit = 100;  ///< 1..max_page
};

inline constexpr std::size_t max_page = 1000;

/// Reads group=, state= (up|down|unknown), offset=, limit= from a query string; an unknown
/// state or a number that does not parse is an error (HTTP 400).
util::Result<TargetQuery> parse_target_query(Url const& url);

/// Reads limit= (1..max_page, default 100) of /api/v1/events.
util::Result<std::size_t> parse_limit(Url const& url, std::size_t fallback);

/// The targets that pass the filters, and the page of them the query asks for.
struct TargetPage {
    std::vector<http::TargetView const*> items;
    std::size_t total = 0;  ///< matching targets, all pages
};
TargetPage select_targets(http::Snapshot const& snapshot, TargetQuery const& query);

/// The target with this id, or nullptr.
http::TargetView const* find_target(http::Snapshot const& snapshot, std::string_view id);

/// "up", "down", "unknown".
char const* state_name(eval::Status s);

/// {"targets": [...], "total", "offset", "limit", "next"}; histories[i] goes with
/// page.items[i] (fewer histories: those targets have no uptime).
std::string render_targets(http::Snapshot const& snapshot, TargetQuery const& query,
                           TargetPage const& page, std::vector<TargetHistory> const& histories);

/// One target with its uptime and recent transitions.
std::string render_target(http::Snapshot const& snapshot, http::TargetView const& target,
                          TargetHistory const& history);

/// {"events": [...], "next": URL or null}: transitions newest first, each with the target id
/// when known; `next` is the next page's URL (empty: none).
std::string render_events(Snapshot const& snap, std::vector<store::Transition> const& trs,
                          std::string const& next = "");

/// Filter and size of the status page and GET /api/v1/status.
struct StatusQuery {
    std::string group;  ///< empty: every group; "-": targets without one
    std::size_t limit = 500;
    bool operator==(StatusQuery const&) const = default;
};

/// Reads group= and limit= (1..max(max_page, fallback)); a bad limit is an error (HTTP 400).
util::Result<StatusQuery> parse_status_query(Url const& url, std::size_t fallback_limit);

/// The targets the status page shows. Problems are never hidden behind the limit: DOWN first,
/// then UNKNOWN, then the rest, at most `limit`; shown with the groups holding a problem first
/// and, in each group, DOWN, UNKNOWN, then UP (by name within a state).
struct StatusSelection {
    std::vector<http::TargetView const*> items;
    std::size_t total = 0;              ///< targets matching the group filter
    std::size_t counts[3] = {0, 0, 0};  ///< of those, by eval::Status
};
StatusSelection select_status_targets(http::Snapshot const& snapshot, StatusQuery const& query);

/// The status page's data: groups of targets with state, 90 daily bars and a latency
/// sparkline; histories[i] goes with selection.items[i].
std::string render_status_data(http::Snapshot const& snapshot, StatusSelection const& selection,
                               std::vector<StatusHistory> const& histories);

/// {"error": {"code": STATUS, "message": "..."}} for an error response (the server layer's
/// 400/413/414/431/503 answers use it too).
std::string render_error(int status, std::string_view message);

/// "2025-06-15T12:00:00.123Z", or "" for the epoch (never happened).
std::string format_utc(util::TimePoint t);

}  // namespace portwatch::http
