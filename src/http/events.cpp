#include "http/events.hpp"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "http/api.hpp"

namespace portwatch::http {
namespace {

/// Digits at `s[pos..pos+n)` as a number; false when they are not all digits.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size())
        return false;
    auto const [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, out);
    return ec == std::errc() && end == s.data() + pos + n;
}

/// The instant of a transition as a page cursor can name it: its millisecond (the store may
/// keep finer times; two transitions within one millisecond must not straddle pages).
util::TimePoint instant(util::TimePoint t) {
    return std::chrono::floor<std::chrono::milliseconds>(t);
}

std::string time_param(util::TimePoint t) {
    return percent_encode(format_utc(t));
}

}  // namespace

std::optional<util::TimePoint> parse_time(std::string_view s) {
    if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos) {
        std::int64_t secs = 0;
        auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
        if (ec != std::errc() || end != s.data() + s.size())
            return std::nullopt;
        return util::TimePoint(std::chrono::seconds(secs));
    }
    // YYYY-MM-DDTHH:MM:SS[.fff]Z
    std::tm tm{};
    int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
    if (s.size() < 20 || !digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, mon) ||
        s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, min) || s[16] != ':' ||
        !digits(s, 17, 2, sec) || (s.back() != 'Z' && s.back() != 'z'))
        return std::nullopt;
    std::chrono::milliseconds fraction{0};
    if (s.size() > 20) {
        if (s[19] != '.' || s.size() < 22)
            return std::nullopt;
        auto const frac = s.substr(20, s.size() - 21);
        if (frac.find_first_not_of("0123456789") != std::string_view::npos)
            return std::nullopt;
        int ms = 0;
        for (std::size_t i = 0; i < 3; ++i)
            ms = ms * 10 + (i < frac.size() ? frac[i] - '0' : 0);
        fraction = std::chrono::milliseconds(ms);
    }
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return std::nullopt;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    auto const t = ::timegm(&tm);
    return std::chrono::time_point_cast<util::TimePoint::duration>(util::Clock::from_time_t(t) +
                                                                   fraction);
}

util::Result<EventsQuery> parse_events_query(Url const& url) {
    EventsQuery q;
    if (auto it = url.query.find("target"); it != url.query.end())
        q.target = it->second;
    for (auto const* name : {"since", "before"}) {
        auto const it = url.query.find(name);
        if (it == url.query.end() || it->second.empty())
            continue;
        auto const t = parse_time(it->second);
        if (!t)
            return util::Error{std::string(name) +
                               " must be an RFC 3339 UTC time (2025-06-15T12:00:00Z) or Unix "
                               "seconds"};
        (std::string_view(name) == "since" ? q.since : q.before) = *t;
    }
    auto limit = parse_limit(url, 100);
    if (!limit)
        return limit.error();
    q.limit = *limit;
    return q;
}

util::Result<EventsPage> read_events(store::HistoryReader& history, EventsQuery const& q,
                                     std::size_t max_scan) {
    EventsPage page;
    std::size_t fetch = q.limit + 1;
    std::vector<store::Transition> matching;
    for (;;) {
        auto rows = history.transitions(q.key, fetch);
        if (!rows)
            return rows.error();
        matching.clear();
        bool older_than_since = false;
        for (auto& tr : *rows) {
            if (q.since && tr.time < *q.since) {
                older_than_since = true;
                break;
            }
            if (!q.before || tr.time < *q.before)
                matching.push_back(std::move(tr));
        }
        bool const exhausted = rows->size() < fetch || older_than_since || fetch >= max_scan;
        // Enough: more than a page that does not lie within one instant (whose every
        // transition must be read before the page can end after it).
        bool const enough = matching.size() > q.limit &&
                            instant(matching.back().time) != instant(matching.front().time);
        if (enough || exhausted)
            break;
        fetch = std::min(max_scan, fetch * 4);
    }
    if (matching.size() <= q.limit) {
        page.items = std::move(matching);
        return page;
    }
    // More than a page: end it at an instant boundary (all of one time on this page).
    std::size_t end = q.limit;
    auto const cut = instant(matching[q.limit].time);
    while (end > 0 && instant(matching[end - 1].time) == cut)
        --end;
    if (end == 0) {
        // A whole page of one instant: take that instant whole.
        while (end < matching.size() && instant(matching[end].time) == cut)
            ++end;
    }
    matching.resize(end);
    page.next_before = instant(matching.back().time);
    page.items = std::move(matching);
    return page;
}

std::string render_events_page(Snapshot const& snap, EventsQuery const& q, EventsPage const& page) {
    std::string next;
    if (page.next_before) {
        next = "/api/v1/events?before=" + time_param(*page.next_before) +
               fmt::format("&limit={}", q.limit);
        if (q.since)
            next += "&since=" + time_param(*q.since);
        if (!q.target.empty())
            next += "&target=" + percent_encode(q.target);
    }
    return render_events(snap, page.items, next);
}

}  // namespace portwatch::http
