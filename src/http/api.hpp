#pragma once

#include <array>
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

/// Filter and page of the status page and GET /api/v1/status.
struct StatusQuery {
    std::string group;                  ///< empty: every group; "-": targets without one
    std::optional<eval::Status> state;  ///< empty: every state
    std::size_t offset = 0;             ///< UP targets skipped (the UP list is paged)
    std::size_t limit = 500;            ///< UP targets per page
    bool operator==(StatusQuery const&) const = default;
};

/// Reads group=, state= (up|down|unknown), offset= and limit= (1..max(max_page, fallback));
/// a bad value is an error (HTTP 400). Other parameters (target=, wall=) belong to the page.
util::Result<StatusQuery> parse_status_query(Url const& url, std::size_t fallback_limit);

/// The targets the status page shows. A problem is never hidden: every DOWN, then every
/// UNKNOWN target that passes the filters comes first, whatever the limit; then one page
/// (offset, limit) of the UP ones.
struct StatusSelection {
    std::vector<http::TargetView const*> items;  ///< DOWN, UNKNOWN, then UP; by group, name
    std::size_t problems = 0;                    ///< items[0, problems) are DOWN or UNKNOWN
    std::size_t limit = 0;                       ///< of the query
    std::size_t offset = 0;                      ///< of the query
    std::size_t total = 0;                       ///< targets matching the group filter
    std::size_t counts[3] = {0, 0, 0};           ///< of those, by eval::Status
    /// Every group of the snapshot (unfiltered, by name) and its counts by eval::Status.
    std::vector<std::pair<std::string_view, std::array<std::size_t, 3>>> groups;

    /// Whether items[i] gets its bars and sparkline: the UP page and the first `limit`
    /// problems (so the history reads stay bounded by 2 * limit however many are down).
    bool with_history(std::size_t i) const { return i < limit || i >= problems; }
};
StatusSelection select_status_targets(http::Snapshot const& snapshot, StatusQuery const& query);

/// The status page's data: the selection as groups of targets (groups with a problem first;
/// in a group DOWN, UNKNOWN, then UP, by name) with state, 90 daily bars and a latency
/// sparkline, the counts and the group list; histories[i] goes with selection.items[i].
std::string render_status_data(http::Snapshot const& snapshot, StatusSelection const& selection,
                               std::vector<StatusHistory> const& histories);

/// {"error": {"code": STATUS, "message": "..."}} for an error response (the server layer's
/// 400/413/414/431/503 answers use it too).
std::string render_error(int status, std::string_view message);

/// "2025-06-15T12:00:00.123Z", or "" for the epoch (never happened).
std::string format_utc(util::TimePoint t);

}  // namespace portwatch::http
