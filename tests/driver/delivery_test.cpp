#include "driver/delivery.hpp"

#include "driver/notifier_set.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <map>

namespace portwatch::driver {
namespace {

using namespace std::chrono_literals;

util::TimePoint const t0 = util::TimePoint(1'750'000'000s);

/// Answers each delivery on the loop with a scripted result and records the order.
class FakeNotifier : public notify::Notifier {
  public:
    explicit FakeNotifier(boost::asio::io_context& io) : io_(io) {}
    std::string const& name() const override { return name_; }
    void deliver(notify::Notification const& n, std::chrono::milliseconds,
                 Completion done) override {
        calls.push_back(n.message);
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        bool const ok = fail.count(n.message) == 0;
        std::string const detail =
            timeout.count(n.message) ? "timed out after 1 s" : "exit status 1";
        auto const error = ok ? std::error_code()
                           : timeout.count(n.message)
                               ? std::error_code(notify::DeliveryError::timed_out)
                               : std::error_code(notify::DeliveryError::exit_status);
        boost::asio::post(io_, [this, ok, error, detail, done = std::move(done)] {
            --in_flight;
            done(notify::DeliveryResult{error, ok ? "" : detail, {}});
        });
    }
    std::vector<std::string> calls;
    std::map<std::string, int> fail;
    std::map<std::string, int> timeout;
    int in_flight = 0;
    int max_in_flight = 0;

  private:
    boost::asio::io_context& io_;
    std::string name_;
};

store::OutboxEntry entry(std::string key, std::string msg, util::TimePoint time = t0) {
    return store::OutboxEntry{.event = eval::Event{.id = msg, .key = std::move(key), .time = time},
                              .message = std::move(msg)};
}

struct Harness {
    boost::asio::io_context io;
    FakeNotifier* fake = new FakeNotifier(io);
    FakeNotifier& notifier = *fake;
    NotifierSet set{[this] {
                        std::vector<std::unique_ptr<notify::Notifier>> v;
                        v.emplace_back(fake);
                        return v;
                    }(),
                    {Destination{}}};
    store::State state;
    std::vector<store::State> commits;
    notify::OutboxOptions options;
    util::TimePoint now = t0 + 1s;

    DeliveryStats run() {
        return deliver_outbox(
            io, set, {}, state,
            [this](store::State const& s) -> util::Result<void> {
                commits.push_back(s);
                return {};
            },
            options,
            notify::OutboxClock{.steady = [] { return std::chrono::steady_clock::now(); },
                                .wall = [this] { return now; }});
    }
};

TEST(Delivery, DeliversAllAndEmptiesOutbox) {
    Harness h;
    h.state.outbox = {entry("a", "a1"), entry("b", "b1"), entry("a", "a2")};
    auto const stats = h.run();
    EXPECT_EQ(stats.delivered, 3u);
    EXPECT_EQ(stats.pending(), 0u);
    EXPECT_TRUE(h.state.outbox.empty());
    ASSERT_FALSE(h.commits.empty());
    EXPECT_TRUE(h.commits.back().outbox.empty());
    // Per target order holds.
    auto const pos = [&](std::string const& m) {
        return std::find(h.notifier.calls.begin(), h.notifier.calls.end(), m) -
               h.notifier.calls.begin();
    };
    EXPECT_LT(pos("a1"), pos("a2"));
}

TEST(Delivery, FailureKeepsEntryAndHoldsLaterOnesOfSameTarget) {
    Harness h;
    h.state.outbox = {entry("a", "a1"), entry("a", "a2"), entry("b", "b1")};
    h.notifier.fail["a1"] = 1;
    auto const stats = h.run();
    EXPECT_EQ(stats.delivered, 1u);
    EXPECT_EQ(stats.failed, 1u);
    EXPECT_EQ(stats.deferred, 1u);
    ASSERT_EQ(h.state.outbox.size(), 2u);
    EXPECT_EQ(h.state.outbox[0].message, "a1");
    EXPECT_EQ(h.state.outbox[0].attempts, 1);
    EXPECT_EQ(h.state.outbox[0].last_error, "exit status 1");
    EXPECT_EQ(h.state.outbox[0].next_attempt, h.now + 60s);
    EXPECT_EQ(h.state.outbox[1].message, "a2");
    EXPECT_EQ(std::count(h.notifier.calls.begin(), h.notifier.calls.end(), "a2"), 0);
}

// The seed's retry (issue 12 item 8): the next check run retries a failed entry whatever
// its stored next_attempt.
TEST(Delivery, NextRunRetriesWhateverTheBackoff) {
    Harness h;
    h.state.outbox = {entry("a", "a1")};
    h.state.outbox[0].attempts = 1;
    h.state.outbox[0].next_attempt = h.now + 10min;
    EXPECT_EQ(h.run().delivered, 1u);
    EXPECT_EQ(h.notifier.calls, std::vector<std::string>{"a1"});
}

TEST(Delivery, ExpiredEntriesDropped) {
    Harness h;
    h.state.outbox = {entry("a", "old", t0 - 8 * 24h), entry("b", "new")};
    h.state.outbox[0].attempts = 3;  // an entry is dropped as old only once it failed too
    auto const stats = h.run();
    EXPECT_EQ(stats.dropped, 1u);
    EXPECT_EQ(h.notifier.calls, std::vector<std::string>{"new"});
    EXPECT_TRUE(h.state.outbox.empty());
}

TEST(Delivery, ConcurrencyCapRespected) {
    Harness h;
    for (int i = 0; i < 20; ++i)
        h.state.outbox.push_back(entry(std::to_string(i), "m" + std::to_string(i)));
    h.options.concurrency = 3;
    EXPECT_EQ(h.run().delivered, 20u);
    EXPECT_LE(h.notifier.max_in_flight, 3);
    EXPECT_GE(h.notifier.max_in_flight, 2);
}

TEST(Delivery, BreakerStopsAfterConsecutiveTimeouts) {
    Harness h;
    h.options.concurrency = 1;
    for (int i = 0; i < 10; ++i) {
        auto const m = "m" + std::to_string(i);
        h.state.outbox.push_back(entry(std::to_string(i), m));
        h.notifier.fail[m] = 1;
        h.notifier.timeout[m] = 1;
    }
    auto const stats = h.run();
    EXPECT_EQ(h.notifier.calls.size(), 3u);
    EXPECT_EQ(stats.failed, 3u);
    EXPECT_EQ(stats.deferred, 7u);
    EXPECT_EQ(h.state.outbox.size(), 10u);
}

}  // namespace
}  // namespace portwatch::driver
