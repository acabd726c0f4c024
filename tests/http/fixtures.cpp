#include "http/fixtures.hpp"

#include <fmt/format.h>

namespace portwatch::test {

http::Snapshot make_snapshot() {
    http::Snapshot s;
    s.taken = http_now;
    http::TargetView web{
        .id = "web",
        .name = "web",
        .host = "127.0.0.1",
        .port = 8080,
        .description = "front page",
        .group = "prod",
        .labels = {{"team", "blue"}},
        .status = eval::Status::up,
        .since = http_now - 3600s,
        .last_latency = std::chrono::microseconds(1500),
        .last_check = http_now - 5s,
        .checks_total = 120,
        .transitions_total = 1,
    };
    web.duration_counts = {0,   0,   10,  100, 120, 120, 120, 120, 120,
                           120, 120, 120, 120, 120, 120, 120, 120};
    web.duration_sum = 0.5;
    http::TargetView db{
        .id = "db",
        .name = "db",
        .host = "127.0.0.1",
        .port = 5432,
        .group = "prod",
        .status = eval::Status::down,
        .since = http_now - 60s,
        .reason = "refused",
        .detail = "connection refused",
        .last_latency = std::chrono::microseconds(200),
        .last_check = http_now - 2s,
        .checks_total = 50,
        .failures_by_reason = {{"refused", 3}, {"timeout", 1}},
        .transitions_total = 2,
    };
    db.duration_counts = {1, 2, 3, 4, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50};
    db.duration_sum = 0.1;
    http::TargetView fresh{
        .id = "new",
        .name = "new",
        .host = "::1",
        .port = 22,
        .group = "staging",
    };
    s.targets = {web, db, fresh};
    s.process = http::ProcessView{
        .version = "0.1.0",
        .started = http_now - 7200s,
        .outbox_size = 2,
        .notifications_sent = 7,
        .notifications_failed = 1,
        .lateness_sum = 0.02,
        .config_loaded = true,
        .store_writable = true,
    };
    s.process.lateness_counts = {5, 9, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
    return s;
}

http::Snapshot make_large_snapshot(std::size_t n) {
    http::Snapshot s;
    s.taken = http_now;
    s.targets.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto const status = i % 20 < 16   ? eval::Status::up
                            : i % 20 < 19 ? eval::Status::down
                                          : eval::Status::unknown;
        http::TargetView t{
            .id = fmt::format("t{:05}", i),
            .name = fmt::format("t{:05}", i),
            .host = fmt::format("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256),
            .port = static_cast<std::uint16_t>(1 + i % 65535),
            .group = fmt::format("group-{}", i % 10),
            .labels = {{"env", "prod"}, {"team", fmt::format("team-{}", i % 7)}},
            .status = status,
            .since = http_now - std::chrono::seconds(i),
            .reason = status == eval::Status::down ? "refused" : "",
            .last_latency = std::chrono::microseconds(100 + i % 1000),
            .last_check = http_now - 1s,
            .checks_total = 100 + i,
            .transitions_total = i % 3,
        };
        if (status == eval::Status::down)
            t.failures_by_reason = {{"refused", 3}};
        std::uint64_t acc = 0;
        for (std::size_t b = 0; b < t.duration_counts.size(); ++b) {
            acc += (b == 3 ? 100 : 0);
            t.duration_counts[b] = acc;
        }
        t.duration_sum = 0.4;
        s.targets.push_back(std::move(t));
    }
    s.process.version = "0.1.0";
    s.process.config_loaded = true;
    s.process.store_writable = true;
    return s;
}

util::Result<std::optional<double>> FakeHistory::uptime(std::string const& key, util::TimePoint,
                                                        util::TimePoint) {
    ++calls;
    if (fail)
        return util::Error{"database is locked"};
    auto const it = uptime_by_key.find(key);
    if (it == uptime_by_key.end())
        return std::optional<double>();
    return std::optional<double>(it->second);
}

util::Result<std::vector<store::Rollup>> FakeHistory::rollups(std::string const& key,
                                                              util::TimePoint from,
                                                              util::TimePoint to,
                                                              std::chrono::seconds bucket) {
    ++calls;
    if (fail)
        return util::Error{"database is locked"};
    std::vector<store::Rollup> out;
    if (!uptime_by_key.contains(key))
        return out;
    // Every bucket but the first has checks; one failure in every third bucket.
    std::size_t i = 0;
    for (auto t = from + bucket; t < to; t += bucket, ++i)
        out.push_back(store::Rollup{.start = t,
                                    .checks = 100,
                                    .failures = i % 3 == 0 ? 1u : 0u,
                                    .latency_min_ms = 1,
                                    .latency_avg_ms = 2.0 + static_cast<double>(i % 5),
                                    .latency_max_ms = 9});
    return out;
}

util::Result<std::vector<store::Transition>> FakeHistory::transitions(std::string const& key,
                                                                      std::size_t limit) {
    ++calls;
    if (fail)
        return util::Error{"database is locked"};
    std::vector<store::Transition> out;
    for (auto const& t : all_transitions) {
        if ((key.empty() || t.target_key == key) && out.size() < limit)
            out.push_back(t);
    }
    return out;
}

FakeHistory make_history() {
    FakeHistory h;
    h.uptime_by_key = {{"127.0.0.1:8080", 0.9995}, {"127.0.0.1:5432", 0.9}};
    h.all_transitions = {
        {.target_key = "127.0.0.1:5432",
         .from = eval::Status::up,
         .to = eval::Status::down,
         .time = http_now - 60s,
         .reason = "refused"},
        {.target_key = "127.0.0.1:8080",
         .from = eval::Status::down,
         .to = eval::Status::up,
         .time = http_now - 3600s},
        {.target_key = "gone:1",
         .from = eval::Status::unknown,
         .to = eval::Status::down,
         .time = http_now - 7200s,
         .reason = "timeout"},
    };
    return h;
}

}  // namespace portwatch::test
