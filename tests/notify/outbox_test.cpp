#include "notify/outbox.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/log.hpp"

namespace portwatch::notify {
namespace {

using namespace std::chrono_literals;
using Kind = OutboxChange::Kind;

/// A destination that records what it was given and answers when the test says so.
class FakeNotifier final : public Notifier {
  public:
    explicit FakeNotifier(std::string name) : name_(std::move(name)) {}
    std::string const& name() const override { return name_; }
    void deliver(Notification const& n, std::chrono::milliseconds timeout,
                 Completion done) override {
        calls.push_back(n.message);
        timeouts.push_back(timeout);
        waiting.push_back({n.message, std::move(done)});
    }
    /// Answers the oldest delivery still waiting; returns its message.
    std::string answer(DeliveryResult r = {}) {
        if (waiting.empty()) {
            ADD_FAILURE() << name_ << ": no delivery is waiting for an answer";
            return {};
        }
        auto w = std::move(waiting.front());
        waiting.pop_front();
        w.second(std::move(r));
        return w.first;
    }
    std::vector<std::string> calls;
    std::vector<std::chrono::milliseconds> timeouts;
    std::deque<std::pair<std::string, Completion>> waiting;

  private:
    std::string name_;
};

/// Both clocks under the test's hand; steps of the wall clock leave steady time alone.
struct FakeClock {
    std::chrono::steady_clock::time_point steady{std::chrono::hours(1000)};
    util::TimePoint wall = util::TimePoint{} + std::chrono::hours(24 * 365 * 50);
    OutboxClock clock() {
        return OutboxClock{[this] { return steady; }, [this] { return wall; }};
    }
    void advance(std::chrono::seconds s) {
        steady += s;
        wall += s;
    }
};

DeliveryResult fail(DeliveryError e, std::optional<std::chrono::seconds> retry_after = {}) {
    return DeliveryResult{e, delivery_error_name(e), retry_after};
}

class OutboxTest : public ::testing::Test {
  protected:
    store::OutboxEntry entry(std::string const& key, std::string const& dest, std::string msg) {
        store::OutboxEntry e;
        e.event.id = "ev" + std::to_string(++ids_);
        e.event.key = key;
        e.event.time = clock_.wall;
        e.destination = dest;
        e.message = std::move(msg);
        return e;
    }
    Outbox make(OutboxOptions options) {
        return Outbox(options, clock_.clock(),
                      [this](OutboxChange const& c) { changes_.push_back(c); });
    }
    /// What the daemon does once the batch with this far's deletions is committed.
    void commit_deletions(Outbox& box) const {
        // Sequences grow: the last delivery's is the largest.
        auto const it = std::find_if(changes_.rbegin(), changes_.rend(),
                                     [](OutboxChange const& c) { return c.seq != 0; });
        box.mark_durable(it == changes_.rend() ? 0 : it->seq);
    }
    std::vector<Kind> kinds() const {
        std::vector<Kind> k;
        for (auto const& c : changes_) {
            k.push_back(c.kind);
        }
        return k;
    }

    FakeClock clock_;
    std::vector<OutboxChange> changes_;
    int ids_ = 0;
};

OutboxOptions daemon_options() {
    OutboxOptions o;
    o.mode = OutboxOptions::Mode::daemon;
    o.concurrency = 8;
    return o;
}

// Issue 17 item 12: the daemon's outbox is bounded per destination. A flapping target of a
// destination that does not answer keeps its oldest entry (in flight) and its newest; those
// between are coalesced away, each reported (the daemon deletes it from the store and counts
// it), never silently.
TEST_F(OutboxTest, ADestinationOverItsCapCoalescesATargetsOlderEntries) {
    FakeNotifier a("a");
    FakeNotifier b("b");
    auto o = daemon_options();
    o.max_per_destination = 5;
    auto box = make(o);
    box.set_destination("a", a);
    box.set_destination("b", b);
    for (int i = 0; i < 40; ++i) {
        box.add(entry("h:1", "a", "a" + std::to_string(i)));
        box.add(entry("h:1", "b", "b" + std::to_string(i)));
        if (i < 3) {
            box.add(entry("h:" + std::to_string(i + 2), "a", "other" + std::to_string(i)));
        }
        box.pump();
    }
    // a: at most its cap (h:1's head in flight and newest, the three others' one each).
    EXPECT_LE(box.pending(), 5u + 5u);
    std::size_t coalesced = 0;
    for (auto const& c : changes_) {
        coalesced += c.kind == Kind::coalesced ? 1 : 0;
        EXPECT_NE(c.entry.message, "a0");   // the one in flight stays
        EXPECT_NE(c.entry.message, "a39");  // the newest stays
    }
    EXPECT_EQ(coalesced + box.pending(), 40u + 3u + 40u);
    EXPECT_EQ(box.stats().coalesced, coalesced);
    // Delivered in order: the head, then the newest of h:1 (the others of a between).
    EXPECT_EQ(a.answer(), "a0");
    commit_deletions(box);
    box.pump();
    EXPECT_EQ(a.calls.back(), "a39");
}

TEST_F(OutboxTest, OnePerKeyAndDestinationAtATimeInOrder) {
    FakeNotifier a("a");
    auto box = make(daemon_options());
    box.set_destination("a", a);
    box.add(entry("h:1", "a", "1 down"));
    box.add(entry("h:1", "a", "1 up"));
    box.add(entry("h:2", "a", "2 down"));
    box.pump();
    EXPECT_EQ(a.calls, (std::vector<std::string>{"1 down", "2 down"}));
    EXPECT_EQ(a.answer(), "1 down");
    // [issue 17 item 7] "1 up" waits until the deletion of "1 down" is committed.
    EXPECT_EQ(a.calls, (std::vector<std::string>{"1 down", "2 down"}));
    ASSERT_EQ(changes_.size(), 1u);
    EXPECT_GT(changes_[0].seq, 0u);
    commit_deletions(box);
    EXPECT_EQ(a.calls, (std::vector<std::string>{"1 down", "2 down", "1 up"}));
    a.answer();
    a.answer();
    EXPECT_EQ(kinds(), (std::vector<Kind>{Kind::delivered, Kind::delivered, Kind::delivered}));
    EXPECT_EQ(changes_[0].entry.message, "1 down");
    EXPECT_EQ(box.pending(), 0u);
}

TEST_F(OutboxTest, AFailingDestinationNeverDelaysAnother) {
    FakeNotifier a("a");
    FakeNotifier b("b");
    auto box = make(daemon_options());
    box.set_destination("a", a);
    box.set_destination("b", b);
    for (auto const* m : {"down", "up", "down again"}) {
        box.add(entry("h:1", "a", m));
        box.add(entry("h:1", "b", m));
    }
    box.pump();
    a.answer(fail(DeliveryError::exit_status));
    for (int i = 0; i < 3; ++i) {
        b.answer();
        commit_deletions(box);
    }
    EXPECT_EQ(b.calls, (std::vector<std::string>{"down", "up", "down again"}));
    EXPECT_EQ(a.calls, std::vector<std::string>{"down"});
    EXPECT_EQ(box.pending(), 3u);
}

TEST_F(OutboxTest, CapsHoldPerDestinationAndGlobally) {
    FakeNotifier a("a");
    FakeNotifier b("b");
    auto options = daemon_options();
    options.concurrency = 3;
    options.per_destination = 2;
    auto box = make(options);
    box.set_destination("a", a);
    box.set_destination("b", b, DestinationSettings{.timeout = 5s, .concurrency = 2});
    for (int i = 0; i < 5; ++i) {
        box.add(entry("a:" + std::to_string(i), "a", "a" + std::to_string(i)));
        box.add(entry("b:" + std::to_string(i), "b", "b" + std::to_string(i)));
    }
    box.pump();
    EXPECT_EQ(box.in_flight(), 3u);
    EXPECT_EQ(a.waiting.size() + b.waiting.size(), 3u);
    EXPECT_LE(a.waiting.size(), 2u);
    EXPECT_LE(b.waiting.size(), 2u);
    // [issue 17 item 7] a delivery whose deletion is not committed keeps its slot of the
    // destination's cap: once every slot is held so, nothing starts until the daemon commits.
    int stalls = 0;
    while (!a.waiting.empty() || !b.waiting.empty()) {
        (a.waiting.empty() ? b : a).answer();
        EXPECT_LE(box.in_flight(), 3u);
        EXPECT_LE(a.waiting.size(), 2u);
        if (a.waiting.empty() && b.waiting.empty() && box.pending() > 0) {
            ++stalls;
            commit_deletions(box);
        }
    }
    EXPECT_GT(stalls, 0);
    EXPECT_EQ(box.stats().delivered, 10u);
    EXPECT_EQ(a.timeouts, std::vector<std::chrono::milliseconds>(5, 30s));  // the options'
    EXPECT_EQ(b.timeouts, std::vector<std::chrono::milliseconds>(5, 5s));   // its own
}

// A grouping destination gets every due head at once, past its own and the global cap, so a
// storm's events can meet in one window; the other destinations keep their caps.
TEST_F(OutboxTest, AGroupedDestinationTakesEveryDueHeadPastTheCaps) {
    FakeNotifier chat("chat");
    FakeNotifier pager("pager");
    auto options = daemon_options();
    options.concurrency = 2;
    auto box = make(options);
    box.set_destination("chat", chat,
                        DestinationSettings{.timeout = 5s, .concurrency = 1, .grouped = true});
    box.set_destination("pager", pager, DestinationSettings{.timeout = 5s, .concurrency = 4});
    for (int i = 0; i < 10; ++i) {
        box.add(entry("k:" + std::to_string(i), "chat", "c" + std::to_string(i)));
        box.add(entry("k:" + std::to_string(i), "pager", "p" + std::to_string(i)));
    }
    box.add(entry("k:0", "chat", "c0-second"));  // same target: waits for the first
    box.pump();
    EXPECT_EQ(chat.waiting.size(), 10u);
    EXPECT_EQ(pager.waiting.size(), 2u);  // the global cap, not counting chat's
    while (!chat.waiting.empty()) {
        chat.answer();
    }
    commit_deletions(box);
    EXPECT_EQ(chat.calls.back(), "c0-second");
    EXPECT_EQ(pager.waiting.size(), 2u);
}

TEST_F(OutboxTest, BackoffDoublesUpToTheMaximumAndHonoursRetryAfter) {
    FakeNotifier a("a");
    auto box = make(daemon_options());
    box.set_destination("a", a);
    box.add(entry("h:1", "a", "m"));
    box.pump();
    std::vector<std::chrono::seconds> waits;
    for (int i = 0; i < 8; ++i) {
        a.answer(i == 2 ? fail(DeliveryError::rate_limited, 600s)
                        : fail(DeliveryError::exit_status));
        auto const due = box.next_due();
        ASSERT_TRUE(due.has_value());
        waits.push_back(std::chrono::duration_cast<std::chrono::seconds>(*due - clock_.steady));
        EXPECT_EQ(changes_.back().entry.next_attempt, clock_.wall + waits.back());
        // Not one second early.
        clock_.advance(waits.back() - 1s);
        box.pump();
        EXPECT_TRUE(a.waiting.empty());
        clock_.advance(1s);
        box.pump();
        ASSERT_EQ(a.waiting.size(), 1u);
    }
    EXPECT_EQ(waits, (std::vector<std::chrono::seconds>{60s, 120s, 600s, 480s, 960s, 1920s, 3600s,
                                                        3600s}));
    EXPECT_EQ(changes_.back().entry.attempts, 8);
    EXPECT_EQ(changes_.back().entry.last_error, "exit_status");
}

TEST_F(OutboxTest, PermanentStopsRetryingThatEntryOnly) {
    FakeNotifier a("a");
    auto box = make(daemon_options());
    box.set_destination("a", a);
    box.add(entry("h:1", "a", "bad"));
    box.add(entry("h:1", "a", "next"));
    box.pump();
    a.answer(fail(DeliveryError::rejected));
    ASSERT_EQ(kinds(), std::vector<Kind>{Kind::permanent});
    EXPECT_EQ(changes_[0].entry.message, "bad");
    EXPECT_EQ(changes_[0].entry.attempts, 1);
    EXPECT_EQ(changes_[0].entry.last_error, "rejected");
    EXPECT_EQ(a.answer(), "next");
    clock_.advance(7200s);
    box.pump();
    EXPECT_EQ(a.calls, (std::vector<std::string>{"bad", "next"}));
    EXPECT_EQ(box.stats().permanent, 1u);
}

TEST_F(OutboxTest, CancelledIsNoFailure) {
    FakeNotifier a("a");
    auto box = make(daemon_options());
    box.set_destination("a", a);
    box.add(entry("h:1", "a", "m"));
    box.pump();
    a.answer(fail(DeliveryError::cancelled));
    EXPECT_TRUE(changes_.empty());
    EXPECT_EQ(box.stats().failed, 0u);
    clock_.advance(1s);
    box.pump();
    a.answer();
    ASSERT_EQ(kinds(), std::vector<Kind>{Kind::delivered});
    EXPECT_EQ(changes_[0].entry.attempts, 0);
}

TEST_F(OutboxTest, BreakerPausesTheDestinationThatTimesOut) {
    FakeNotifier slow("slow");
    FakeNotifier fine("fine");
    auto options = daemon_options();
    options.breaker_timeouts = 3;
    options.breaker_pause = 300s;
    auto box = make(options);
    box.set_destination("slow", slow);
    box.set_destination("fine", fine);
    for (int i = 0; i < 6; ++i) {
        box.add(entry("h:" + std::to_string(i), "slow", "s" + std::to_string(i)));
    }
    box.pump();
    ASSERT_EQ(slow.waiting.size(), 6u);
    for (int i = 0; i < 3; ++i) {
        slow.answer(fail(DeliveryError::timed_out));
    }
    for (int i = 0; i < 3; ++i) {
        slow.answer();
    }
    // The three that timed out are due in 60 s, but the destination waits 300 s.
    clock_.advance(60s);
    box.add(entry("h:9", "fine", "f"));
    box.add(entry("h:10", "slow", "s-new"));
    box.pump();
    EXPECT_EQ(fine.calls, std::vector<std::string>{"f"});
    EXPECT_EQ(slow.calls.size(), 6u);
    clock_.advance(240s);
    box.pump();
    EXPECT_EQ(slow.calls.size(), 10u);
}

TEST_F(OutboxTest, CheckModeHoldsTheBackoffFromTheSecondFailureOn) {
    FakeNotifier a("");
    auto box = make(OutboxOptions{});  // check
    box.set_destination("", a);
    auto e = entry("h:1", "", "failed twice");
    e.attempts = 2;
    e.next_attempt = clock_.wall + 120s;
    box.add(e);
    box.pump();
    EXPECT_TRUE(a.calls.empty());
    EXPECT_EQ(box.pending(), 1u);
}

TEST_F(OutboxTest, CheckModeRetriesAtOnceWhateverTheStoredTimeAndOncePerRun) {
    FakeNotifier a("");
    OutboxOptions options;  // check
    options.breaker_timeouts = 2;
    auto box = make(options);
    box.set_destination("", a);
    auto e = entry("h:1", "", "failed last run");
    e.attempts = 1;  // failed once: the next run retries it whatever its backoff
    e.next_attempt = clock_.wall + 3000s;
    box.add(e);
    box.add(entry("h:1", "", "behind it"));
    for (int i = 2; i < 8; ++i) {
        box.add(entry("h:" + std::to_string(i), "", "t" + std::to_string(i)));
    }
    box.pump();  // cap 4: h:1..h:4
    EXPECT_EQ(a.answer(fail(DeliveryError::exit_status)), "failed last run");
    EXPECT_EQ(changes_.back().entry.attempts, 2);
    // Failed in this run: it waits for the next run, and so does the entry behind it; h:5
    // takes the free slot. Two timeouts in a row (h:6 starts after the first) trip the breaker.
    EXPECT_EQ(a.answer(fail(DeliveryError::timed_out)), "t2");
    EXPECT_EQ(a.answer(fail(DeliveryError::timed_out)), "t3");
    while (!a.waiting.empty()) {
        a.answer();
    }
    clock_.advance(3600s);
    box.pump();
    EXPECT_EQ(box.in_flight(), 0u);
    EXPECT_EQ(a.calls, (std::vector<std::string>{"failed last run", "t2", "t3", "t4", "t5", "t6"}));
    EXPECT_EQ(box.pending(), 5u);  // h:1 x2, t2, t3, and t7 that the breaker held back
    EXPECT_FALSE(box.next_due().has_value());
    box.log_pending();
}

TEST_F(OutboxTest, DrainRunsTheLoopUntilNothingIsLeftToStart) {
    boost::asio::io_context io;
    struct Posting final : Notifier {
        explicit Posting(boost::asio::io_context& io) : io_(io) {}
        std::string const& name() const override { return name_; }
        void deliver(Notification const& n, std::chrono::milliseconds, Completion done) override {
            got.push_back(n.message);
            boost::asio::post(io_, [done = std::move(done), fail = n.message == "x"] {
                done(fail ? DeliveryResult{DeliveryError::exit_status, "1", {}} : DeliveryResult{});
            });
        }
        boost::asio::io_context& io_;
        std::string name_;
        std::vector<std::string> got;
    } n(io);
    auto box = make(OutboxOptions{});
    box.set_destination("", n);
    box.add(entry("h:1", "", "a"));
    box.add(entry("h:1", "", "b"));
    box.add(entry("h:2", "", "x"));
    box.add(entry("h:2", "", "y"));
    drain(io, box);
    EXPECT_EQ(n.got, (std::vector<std::string>{"a", "x", "b"}));
    EXPECT_EQ(box.pending(), 2u);
}

TEST_F(OutboxTest, NotDurableEntriesWaitForTheirCommit) {
    FakeNotifier a("a");
    auto box = make(daemon_options());
    box.set_destination("a", a);
    auto const s1 = box.add(entry("h:1", "a", "one"), false);
    auto const s2 = box.add(entry("h:2", "a", "two"), false);
    box.pump();
    EXPECT_TRUE(a.calls.empty());
    box.mark_durable(s1);
    EXPECT_EQ(a.calls, std::vector<std::string>{"one"});
    box.mark_durable(s2);
    EXPECT_EQ(a.calls, (std::vector<std::string>{"one", "two"}));
}

TEST_F(OutboxTest, EntriesOfAFailedCommitAreNeverSent) {
    FakeNotifier a("a");
    auto box = make(daemon_options());
    box.set_destination("a", a);
    box.add(entry("h:1", "a", "saved earlier"));
    box.add(entry("h:1", "a", "lost"), false);
    auto const s2 = box.add(entry("h:2", "a", "lost too"), false);
    auto const s3 = box.add(entry("h:2", "a", "saved next"), false);
    box.forget(s2);
    EXPECT_EQ(box.pending(), 2u);
    box.mark_durable(s3);
    a.answer();
    a.answer();
    EXPECT_EQ(a.calls, (std::vector<std::string>{"saved earlier", "saved next"}));
    EXPECT_EQ(box.pending(), 0u);
}

TEST_F(OutboxTest, ExpiresOnlyOldEntriesThatKeptFailing) {
    FakeNotifier a("a");
    auto options = daemon_options();
    options.retry.max_age = 3600s;
    auto box = make(options);
    box.set_destination("a", a);
    auto old = entry("h:1", "a", "old and failing");
    old.event.time = clock_.wall - 7200s;
    old.attempts = 3;
    box.add(old);
    box.pump();
    ASSERT_EQ(kinds(), std::vector<Kind>{Kind::expired});
    EXPECT_EQ(changes_[0].entry.message, "old and failing");
    EXPECT_TRUE(a.calls.empty());
    EXPECT_EQ(box.stats().expired, 1u);
}

TEST_F(OutboxTest, ClockStepsNeitherDropNorStall) {
    FakeNotifier a("a");
    auto options = daemon_options();
    options.retry.max_age = 7 * 24 * 3600s;
    auto box = make(options);
    box.set_destination("a", a);
    // Stamped by a clock 10 days behind, then corrected: looks old, is fresh, is delivered.
    auto behind = entry("h:1", "a", "stamped by a slow clock");
    behind.event.time = clock_.wall - 240h;
    box.add(behind);
    // Stored by a clock 10 days ahead: no backoff is that long, so it is due at once (a cap
    // at one maximal backoff would stall it run after run, each run capping from its now).
    auto ahead = entry("h:2", "a", "next_attempt from a fast clock");
    ahead.attempts = 1;
    ahead.next_attempt = clock_.wall + 240h;
    box.add(ahead);
    // An event time in the future counts as now.
    auto future = entry("h:3", "a", "from the future");
    future.event.time = clock_.wall + 240h;
    future.attempts = 5;
    box.add(future);
    // A plausible backoff is honoured, on steady time.
    auto later = entry("h:4", "a", "backing off");
    later.attempts = 1;
    later.next_attempt = clock_.wall + 1800s;
    box.add(later);
    box.pump();
    EXPECT_EQ(a.calls,
              (std::vector<std::string>{"stamped by a slow clock", "next_attempt from a fast clock",
                                        "from the future"}));
    a.answer();
    a.answer();
    a.answer();
    ASSERT_TRUE(box.next_due().has_value());
    EXPECT_EQ(*box.next_due() - clock_.steady, std::chrono::steady_clock::duration(1800s));
    // The wall clock jumps a year forward, then back: waits run on steady time.
    clock_.wall += 24h * 365;
    box.pump();
    EXPECT_EQ(a.calls.size(), 3u);
    clock_.wall -= 24h * 365 * 2;
    clock_.steady += 1800s;
    box.pump();
    ASSERT_EQ(a.calls.size(), 4u);
    a.answer();
    EXPECT_EQ(kinds(), (std::vector<Kind>{Kind::delivered, Kind::delivered, Kind::delivered,
                                          Kind::delivered}));
}

TEST_F(OutboxTest, CostIsPerDueEntryNotPerPendingEntry) {
    util::log::set_level(util::log::Level::error);  // not 300,000 "sent" lines
    FakeNotifier a("a");
    auto box = make(daemon_options());
    box.set_destination("a", a);
    constexpr std::size_t flapping = 300'000;
    for (std::size_t i = 0; i < flapping; ++i) {
        box.add(entry("flap:1", "a", i % 2 ? "up" : "down"));
    }
    box.pump();
    auto const after_add = box.stats().examined;
    EXPECT_LE(after_add, 2u);  // only the head of the one queue was looked at
    // The head keeps failing: each retry looks at that head, never at the 299,999 behind it.
    for (int i = 0; i < 100; ++i) {
        a.answer(fail(DeliveryError::exit_status));
        clock_.advance(3600s);
        box.pump();
    }
    EXPECT_LE(box.stats().examined - after_add, 2u * 100);
    // Then it recovers: every entry goes, each looked at a bounded number of times.
    std::size_t delivered = 0;
    while (!a.waiting.empty()) {
        a.answer();
        commit_deletions(box);
        ++delivered;
    }
    EXPECT_EQ(delivered, flapping);
    EXPECT_LE(box.stats().examined, 3 * flapping);
    EXPECT_EQ(box.pending(), 0u);
    EXPECT_EQ(changes_.size(), flapping + 100);
    util::log::set_level(util::log::Level::info);
}

TEST_F(OutboxTest, EntriesForAnUnknownDestinationWaitUntilItIsSet) {
    FakeNotifier a("late");
    auto box = make(daemon_options());
    box.add(entry("h:1", "late", "m"));
    box.pump();
    EXPECT_EQ(box.in_flight(), 0u);
    box.set_destination("late", a);
    box.pump();
    EXPECT_EQ(a.calls, std::vector<std::string>{"m"});
}

TEST_F(OutboxTest, StopStartsNothingNew) {
    FakeNotifier a("a");
    auto box = make(daemon_options());
    box.set_destination("a", a);
    box.add(entry("h:1", "a", "1"));
    box.add(entry("h:1", "a", "2"));
    box.pump();
    box.stop();
    a.answer();
    EXPECT_EQ(a.calls, std::vector<std::string>{"1"});
    EXPECT_EQ(box.pending(), 1u);
}

}  // namespace
}  // namespace portwatch::notify
