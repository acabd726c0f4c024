#include "notify/grouping.hpp"

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace portwatch::notify {
namespace {

using namespace std::chrono_literals;

/// Records what it is given; answers each delivery with `answer` on the next loop turn.
class Recorder final : public Notifier {
  public:
    Recorder(boost::asio::io_context& io, std::vector<Notification>& log, DeliveryResult answer)
        : io_(io), log_(log), answer_(std::move(answer)) {}
    std::string const& name() const override { return name_; }
    void deliver(Notification const& n, std::chrono::milliseconds, Completion done) override {
        log_.push_back(n);
        boost::asio::post(io_, [done = std::move(done), r = answer_] { done(r); });
    }

  private:
    boost::asio::io_context& io_;
    std::vector<Notification>& log_;
    DeliveryResult answer_;
    std::string name_ = "chat";
};

Notification note(eval::EventKind kind, std::string const& key) {
    return Notification{eval::Event{.id = key, .kind = kind, .key = key}, key + " msg", {}};
}

TEST(GroupMessage, CountsInTheSeedsWordsListsUpToTheBoundThenCounts) {
    std::vector<Notification> items;
    for (int i = 0; i < 5; ++i) {
        items.push_back(note(eval::EventKind::down, "d" + std::to_string(i)));
    }
    items.push_back(note(eval::EventKind::up, "u0"));
    EXPECT_EQ(group_message(items, 3),
              "portwatch: 장애 5, 복구 1\nd0 msg\nd1 msg\nd2 msg\n+3 more");
    EXPECT_EQ(group_message(std::span(items).subspan(5), 20), "portwatch: 복구 1\nu0 msg");
}

struct Loop {
    boost::asio::io_context io;
    std::vector<Notification> inner_log;
    std::vector<DeliveryResult> results;

    GroupingNotifier make(GroupOptions o, DeliveryResult answer = {}) {
        return GroupingNotifier(io, std::make_unique<Recorder>(io, inner_log, answer), o);
    }
    Notifier::Completion record() {
        return [this](DeliveryResult r) { results.push_back(std::move(r)); };
    }
    /// Runs the loop until `n` deliveries completed (bounded).
    void wait_for(std::size_t n) {
        for (int i = 0; i < 200 && results.size() < n; ++i) {
            io.run_for(20ms);
            io.restart();
        }
    }
};

TEST(GroupingNotifier, RareEventsGoAloneAndAtOnce) {
    Loop run;
    auto g = run.make(GroupOptions{.window = 10s, .after = 3});
    g.deliver(note(eval::EventKind::down, "a"), 5s, run.record());
    g.deliver(note(eval::EventKind::down, "b"), 5s, run.record());
    run.io.poll();  // one loop turn: no window has to pass
    run.io.restart();
    run.io.poll();
    ASSERT_EQ(run.results.size(), 2u);
    ASSERT_EQ(run.inner_log.size(), 2u);
    EXPECT_EQ(run.inner_log[0].message, "a msg");
    EXPECT_TRUE(run.inner_log[1].grouped.empty());
}

TEST(GroupingNotifier, AStormBecomesOneMessagePerWindowAndEveryEventCompletes) {
    Loop run;
    auto g = run.make(GroupOptions{.window = 200ms, .after = 2, .max_lines = 3});
    for (int i = 0; i < 10; ++i) {
        g.deliver(note(eval::EventKind::down, "t" + std::to_string(i)), 5s, run.record());
    }
    run.wait_for(10);
    ASSERT_EQ(run.results.size(), 10u);
    ASSERT_EQ(run.inner_log.size(), 3u);  // two alone, then one for the other eight
    EXPECT_EQ(run.inner_log[2].grouped.size(), 8u);
    EXPECT_EQ(run.inner_log[2].event.key, "t2");
    EXPECT_EQ(run.inner_log[2].message, "portwatch: 장애 8\nt2 msg\nt3 msg\nt4 msg\n+5 more");
    // The storm goes on in the next window: grouped at once, not two alone again.
    g.deliver(note(eval::EventKind::up, "t0"), 5s, run.record());
    g.deliver(note(eval::EventKind::up, "t1"), 5s, run.record());
    run.wait_for(12);
    ASSERT_EQ(run.inner_log.size(), 4u);
    EXPECT_EQ(run.inner_log[3].grouped.size(), 2u);
}

TEST(GroupingNotifier, TheGroupsOutcomeIsEachEventsOutcome) {
    Loop run;
    DeliveryResult const refused{.error = DeliveryError::rejected, .detail = "400"};
    auto g = run.make(GroupOptions{.window = 100ms, .after = 0}, refused);
    for (int i = 0; i < 4; ++i) {
        g.deliver(note(eval::EventKind::down, "t" + std::to_string(i)), 5s, run.record());
    }
    run.wait_for(4);
    ASSERT_EQ(run.results.size(), 4u);
    for (auto const& r : run.results) {
        EXPECT_EQ(r, refused);
    }
    EXPECT_EQ(run.inner_log.size(), 1u);
}

TEST(GroupingNotifier, HeldDeliveriesAreCancelledWhenItGoes) {
    Loop run;
    {
        auto g = run.make(GroupOptions{.window = 10s, .after = 0});
        g.deliver(note(eval::EventKind::down, "a"), 5s, run.record());
        g.deliver(note(eval::EventKind::down, "b"), 5s, run.record());
    }
    run.wait_for(2);
    ASSERT_EQ(run.results.size(), 2u);
    EXPECT_EQ(run.results[0].error, DeliveryCondition::cancelled);
    EXPECT_TRUE(run.inner_log.empty());
}

}  // namespace
}  // namespace portwatch::notify
