#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "http/snapshot.hpp"
#include "http/url.hpp"
#include "store/history.hpp"
#include "util/result.hpp"
#include "util/time.hpp"

namespace portwatch::http {

/// GET /api/v1/events: target= (an id; its key is filled in by the handler), since=
/// (inclusive), before= (exclusive; the cursor of the next page), limit=.
struct EventsQuery {
    std::string target;  ///< id as given; empty: every target
    std::string key;     ///< history key of `target`
    std::optional<util::TimePoint> since;
    std::optional<util::TimePoint> before;
    std::size_t limit = 100;
};

/// Reads since=, before= (RFC 3339 UTC such as 2025-06-15T12:00:00Z or .123Z, or Unix
/// seconds) and limit= (1..max_page); a value that does not parse is an error (HTTP 400).
util::Result<EventsQuery> parse_events_query(Url const& url);

/// One page of transitions, newest first.
struct EventsPage {
    std::vector<store::Transition> items;
    /// The before= of the next page (the time of the last item: every transition at that
    /// time is on this page); empty when this page is the last one.
    std::optional<util::TimePoint> next_before;
};

/// Reads one page from `history`. The reader only knows "newest N", so older pages read
/// more rows (growing by 4x, at most `max_scan`); all transitions of one instant stay on
/// one page so that before= never skips one.
util::Result<EventsPage> read_events(store::HistoryReader& history, EventsQuery const& q,
                                     std::size_t max_scan = 100000);

/// {"events": [...], "next": "/api/v1/events?..." or null}.
std::string render_events_page(Snapshot const& snap, EventsQuery const& q, EventsPage const& page);

/// Parses "2025-06-15T12:00:00Z", "2025-06-15T12:00:00.250Z" or Unix seconds "1749988800".
std::optional<util::TimePoint> parse_time(std::string_view text);

}  // namespace portwatch::http
