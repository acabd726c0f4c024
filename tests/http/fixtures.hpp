#pragma once

#include <map>
#include <string>
#include <vector>

#include "http/snapshot.hpp"
#include "store/history.hpp"

namespace portwatch::test {

using namespace std::chrono_literals;

/// 2025-06-15T12:00:00Z: the fixed "now" of the HTTP tests.
inline util::TimePoint const http_now = util::TimePoint(1'749'988'800s);

/// A hand-made snapshot: "web" (up, group prod), "db" (down, refused, group prod),
/// "new" (unknown, group staging).
http::Snapshot make_snapshot();

/// n targets named t00000.. in 10 groups, 80% up, 15% down, 5% unknown, with labels.
http::Snapshot make_large_snapshot(std::size_t n);

/// A HistoryReader answering from fixed tables, counting its calls.
class FakeHistory : public store::HistoryReader {
  public:
    util::Result<std::optional<double>> uptime(std::string const& key, util::TimePoint from,
                                               util::TimePoint to) override;
    util::Result<std::vector<store::Rollup>> rollups(std::string const& key, util::TimePoint from,
                                                     util::TimePoint to,
                                                     std::chrono::seconds bucket) override;
    util::Result<std::vector<store::Transition>> transitions(std::string const& key,
                                                             std::size_t limit) override;

    std::map<std::string, double> uptime_by_key;     ///< same figure for every window
    std::vector<store::Transition> all_transitions;  ///< newest first
    std::size_t calls = 0;
    bool fail = false;
};

/// A FakeHistory with uptime for web and db and a few transitions.
FakeHistory make_history();

}  // namespace portwatch::test
