// The Store contract, run against every backend the registry knows.
#include "store/store.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/error.hpp"
#include "store/registry.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::store {
namespace {

using namespace std::chrono_literals;

util::TimePoint const t0 = util::TimePoint(1'750'000'020s);

eval::TargetState state_of(eval::Status status, int failures = 0) {
    return eval::TargetState{.status = status,
                             .since = t0,
                             .reason = status == eval::Status::down ? "refused" : "",
                             .consecutive_failures = failures,
                             .consecutive_successes = status == eval::Status::up ? 1 : 0,
                             .last_check = t0 + 1s};
}

OutboxEntry entry(std::string const& key, std::string const& id, std::string destination = "") {
    return OutboxEntry{.event = eval::Event{.id = id,
                                            .kind = eval::EventKind::down,
                                            .key = key,
                                            .host = "h",
                                            .port = 1,
                                            .description = "svc",
                                            .reason = "refused",
                                            .detail = "d",
                                            .time = t0},
                       .destination = std::move(destination),
                       .message = "msg " + id,
                       .next_attempt = t0};
}

std::vector<std::string> keys_of(State const& s) {
    std::vector<std::string> out;
    for (auto const& [key, st] : s.targets) {
        out.push_back(key);
    }
    return out;
}

std::vector<OutboxId> ids_of(std::vector<OutboxEntry> const& entries) {
    std::vector<OutboxId> out;
    for (auto const& e : entries) {
        out.push_back(e.id());
    }
    return out;
}

std::vector<std::string> scheme_names() {
    std::vector<std::string> out;
    for (auto const& b : backends()) {
        out.emplace_back(b.scheme);
    }
    return out;
}

class StoreContract : public ::testing::TestWithParam<std::string> {
  protected:
    std::string url() const { return GetParam() + ":" + (dir_ / ("state." + GetParam())).string(); }

    std::unique_ptr<Store> open(OpenOptions const& options = {}) const {
        auto s = open_store(url(), options);
        EXPECT_TRUE(s) << s.error().message;
        return s ? std::move(*s) : nullptr;
    }

    State load(Store& s) const {
        auto loaded = s.load();
        EXPECT_TRUE(loaded) << loaded.error().message;
        EXPECT_TRUE(loaded->warnings.empty());
        return loaded ? loaded->state : State{};
    }

    test::TempDir dir_;
};

TEST_P(StoreContract, CommitLoadRoundTripSurvivesReopen) {
    Batch b;
    b.states = {{"a:1", state_of(eval::Status::up)}, {"b:2", state_of(eval::Status::down, 2)}};
    b.outbox_put = {entry("b:2", "e1"), entry("b:2", "e1", "slack")};
    {
        auto s = open();
        ASSERT_TRUE(s);
        EXPECT_EQ(load(*s), State{});
        ASSERT_TRUE(s->commit(b));
        EXPECT_EQ(load(*s), (State{b.states, b.outbox_put}));
    }
    auto again = open();
    ASSERT_TRUE(again);
    EXPECT_EQ(load(*again), (State{b.states, b.outbox_put}));
    EXPECT_NE(again->describe().find("state." + GetParam()), std::string::npos);
}

// What later versions added to states and events (certificate warnings, the target's name,
// group and labels, the incident's start) survives a commit, both through Store::commit(State)
// and a batch, and a reopen.
TEST_P(StoreContract, CertificateWarningsAndEventExtrasRoundTrip) {
    auto st = state_of(eval::Status::up);
    st.cert_warned = 1'760'000'000;
    st.cert_warned_at = t0 + 5s;
    auto e = entry("tls://h:443", "e9", "mail");
    e.event.kind = eval::EventKind::cert_expiring;
    e.event.name = "web-cert";
    e.event.group = "edge";
    e.event.labels = {{"env", "prod"}, {"team", "팀"}};
    e.event.down_since = t0 - 60s;
    e.event.cert_not_after = 1'760'000'000;
    Batch b;
    b.states = {{"tls://h:443", st}};
    b.outbox_put = {e, entry("h:1", "plain")};
    {
        auto s = open();
        ASSERT_TRUE(s);
        ASSERT_TRUE(s->commit(b));
        EXPECT_EQ(load(*s), (State{b.states, b.outbox_put}));
    }
    auto again = open();
    ASSERT_TRUE(again);
    auto const loaded = load(*again);
    EXPECT_EQ(loaded, (State{b.states, b.outbox_put}));
    ASSERT_TRUE(again->commit(loaded));
    EXPECT_EQ(load(*again), loaded);
}

TEST_P(StoreContract, UpsertsKeepOrderAndAppendNewKeysThenRemovalsApply) {
    auto s = open();
    ASSERT_TRUE(s);
    Batch first;
    first.states = {{"a:1", state_of(eval::Status::up)},
                    {"b:2", state_of(eval::Status::up)},
                    {"c:3", state_of(eval::Status::up)}};
    ASSERT_TRUE(s->commit(first));
    Batch second;
    second.states = {{"b:2", state_of(eval::Status::down, 1)}, {"d:4", state_of(eval::Status::up)}};
    second.removed = {"a:1"};
    ASSERT_TRUE(s->commit(second));
    auto const loaded = load(*s);
    EXPECT_EQ(keys_of(loaded), (std::vector<std::string>{"b:2", "c:3", "d:4"}));
    EXPECT_EQ(loaded.targets[0].second, state_of(eval::Status::down, 1));
}

TEST_P(StoreContract, CompleteSetDropsEveryOtherStateAndTakesItsOrder) {
    auto s = open();
    ASSERT_TRUE(s);
    Batch first;
    first.states = {{"a:1", state_of(eval::Status::up)},
                    {"b:2", state_of(eval::Status::up)},
                    {"c:3", state_of(eval::Status::up)}};
    first.outbox_put = {entry("a:1", "e1")};
    ASSERT_TRUE(s->commit(first));
    Batch complete;
    complete.states = {{"c:3", state_of(eval::Status::down, 1)},
                       {"a:1", state_of(eval::Status::up)}};
    complete.complete_states = true;
    ASSERT_TRUE(s->commit(complete));
    auto const loaded = load(*s);
    EXPECT_EQ(keys_of(loaded), (std::vector<std::string>{"c:3", "a:1"}));
    EXPECT_EQ(ids_of(loaded.outbox), std::vector<OutboxId>{OutboxId("e1")});  // untouched

    // commit(State) is the complete set of both.
    State whole{{{"z:9", state_of(eval::Status::up)}}, {entry("z:9", "e9", "mail")}};
    ASSERT_TRUE(s->commit(whole));
    EXPECT_EQ(load(*s), whole);
}

TEST_P(StoreContract, OutboxEntriesArePerDestinationUpdatedAndDeletedById) {
    auto s = open();
    ASSERT_TRUE(s);
    Batch b;
    b.outbox_put = {entry("a:1", "e1"), entry("a:1", "e1", "slack"), entry("a:1", "e2")};
    ASSERT_TRUE(s->commit(b));
    Batch update;
    auto retried = entry("a:1", "e1", "slack");
    retried.attempts = 2;
    retried.next_attempt = t0 + 60s;
    retried.last_error = "timeout";
    retried.message = "not what the event said";  // what an event said never changes
    update.outbox_put = {retried};
    update.outbox_delete = {OutboxId("e1")};
    ASSERT_TRUE(s->commit(update));
    auto const loaded = load(*s);
    ASSERT_EQ(ids_of(loaded.outbox),
              (std::vector<OutboxId>{OutboxId("e1", "slack"), OutboxId("e2")}));
    EXPECT_EQ(loaded.outbox[0].attempts, 2);
    EXPECT_EQ(loaded.outbox[0].next_attempt, t0 + 60s);
    EXPECT_EQ(loaded.outbox[0].last_error, "timeout");
    EXPECT_EQ(loaded.outbox[0].message, "msg e1");
}

TEST_P(StoreContract, ClaimTakesTheHeadOfEachQueueWithALease) {
    auto s = open();
    ASSERT_TRUE(s);
    Batch b;
    // Queues: (a:1, "") e1 then e2; (a:1, slack) e1; (b:2, "") f1.
    b.outbox_put = {entry("a:1", "e1"), entry("a:1", "e1", "slack"), entry("a:1", "e2"),
                    entry("b:2", "f1")};
    ASSERT_TRUE(s->commit(b));
    auto first = s->claim("node-a", 10, 30s, t0);
    ASSERT_TRUE(first);
    EXPECT_EQ(ids_of(*first),
              (std::vector<OutboxId>{OutboxId("e1"), OutboxId("e1", "slack"), OutboxId("f1")}));
    auto none = s->claim("node-b", 10, 30s, t0);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());

    // Delivered: the next of its queue is free. Failed: released, due again after backoff.
    Batch report;
    report.outbox_delete = {OutboxId("e1")};
    auto failed = (*first)[1];
    failed.attempts = 1;
    failed.next_attempt = t0 + 60s;
    report.outbox_put = {failed};
    ASSERT_TRUE(s->commit(report));
    auto next = s->claim("node-b", 10, 30s, t0 + 1s);
    ASSERT_TRUE(next);
    EXPECT_EQ(ids_of(*next), std::vector<OutboxId>{OutboxId("e2")});

    // Leases run out: claimable again, oldest first, at most `limit`.
    auto expired = s->claim("node-b", 10, 30s, t0 + 31s);
    ASSERT_TRUE(expired);
    EXPECT_EQ(ids_of(*expired), (std::vector<OutboxId>{OutboxId("e2"), OutboxId("f1")}));
    auto due = s->claim("node-c", 1, 30s, t0 + 61s);
    ASSERT_TRUE(due);
    EXPECT_EQ(ids_of(*due), std::vector<OutboxId>{OutboxId("e1", "slack")});
    EXPECT_EQ((*due)[0].attempts, 1);
}

TEST_P(StoreContract, EntriesNotDueAreNotClaimed) {
    auto s = open();
    ASSERT_TRUE(s);
    Batch b;
    auto later = entry("a:1", "e1");
    later.next_attempt = t0 + 10s;
    b.outbox_put = {later, entry("b:2", "f1")};
    ASSERT_TRUE(s->commit(b));
    auto claimed = s->claim("me", 10, 30s, t0);
    ASSERT_TRUE(claimed);
    EXPECT_EQ(ids_of(*claimed), std::vector<OutboxId>{OutboxId("f1")});
}

TEST_P(StoreContract, SingleNodeOwnsEveryTargetAndPrunesWithoutError) {
    auto s = open();
    ASSERT_TRUE(s);
    std::vector<std::string> const keys = {"a:1", "b:2"};
    auto leased = s->lease_targets("me", keys, 30s, t0);
    ASSERT_TRUE(leased);
    EXPECT_EQ(*leased, keys);
    EXPECT_TRUE(s->prune(t0));
}

TEST_P(StoreContract, TheLockKeepsASecondOpenerOut) {
    auto first = open(OpenOptions{.lock_wait = 100ms});
    ASSERT_TRUE(first);
    auto second = open_store(url(), OpenOptions{.lock_wait = 50ms});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, StoreError::locked) << second.error().message;
    EXPECT_EQ(second.error().code, std::errc::timed_out);
    EXPECT_EQ(second.error().code, StoreCondition::busy);
    auto unlocked = open();  // without the option: the caller locks, or not
    ASSERT_TRUE(unlocked);
    auto late = unlocked->lock(50ms);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, std::errc::timed_out);
    first.reset();
    EXPECT_TRUE(unlocked->lock(100ms));
}

// A writer killed at any instant leaves the previous or the new content, never a mix.
TEST_P(StoreContract, ABatchIsAtomicUnderSigkill) {
    Batch before;
    Batch change;
    for (int i = 0; i < 300; ++i) {
        auto const key = "10.0.0." + std::to_string(i) + ":80";
        before.states.emplace_back(key, state_of(eval::Status::up));
        change.states.emplace_back(key, state_of(eval::Status::down, 1));
        change.outbox_put.push_back(entry(key, "e" + std::to_string(i)));
    }
    change.removed = {"10.0.0.0:80"};
    State const old_state{before.states, {}};
    State expected{{change.states.begin() + 1, change.states.end()}, change.outbox_put};
    for (auto const delay : {0us, 100us, 500us, 1000us, 2000us, 5000us, 20000us}) {
        {
            auto s = open();
            ASSERT_TRUE(s);
            ASSERT_TRUE(s->commit(old_state));
        }
        pid_t const pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            auto s = open_store(url());
            ::_exit(s && (*s)->commit(change) ? 0 : 1);
        }
        std::this_thread::sleep_for(delay);
        ::kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        auto s = open();
        ASSERT_TRUE(s);
        auto const loaded = load(*s);
        EXPECT_TRUE(loaded == old_state || loaded == expected)
            << "killed after " << delay.count() << " us";
    }
}

TEST(StoreError, EachCodeHasANameAMessageAndACondition) {
    for (auto const e : {StoreError::bad_url, StoreError::locked, StoreError::newer_schema}) {
        std::error_code const code = e;
        EXPECT_STREQ(code.category().name(), "portwatch.store");
        EXPECT_NE(code.message(), "unknown store error");
        EXPECT_TRUE(code == StoreCondition::busy || code == StoreCondition::unusable);
        EXPECT_NE(code == StoreCondition::busy, code == StoreCondition::unusable);
    }
    EXPECT_EQ(std::make_error_code(std::errc::timed_out), StoreCondition::busy);
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, StoreContract, ::testing::ValuesIn(scheme_names()),
                         [](auto const& info) { return info.param; });

TEST(StoreRegistry, ParseErrorsNameTheUrlAndTheSchemes) {
    auto const bad = parse_store_url("postgress://x");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message,
              "bad store URL 'postgress://x': expected json:PATH or sqlite:PATH");
    EXPECT_EQ(bad.error().code, StoreError::bad_url);
    EXPECT_EQ(bad.error().code, StoreCondition::unusable);
    EXPECT_NE(bad.error().code, std::errc::timed_out);
    auto const ok = parse_store_url("sqlite:/var/lib/pw.db");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->scheme, "sqlite");
    EXPECT_EQ(ok->path, "/var/lib/pw.db");
    EXPECT_FALSE(open_store("json:"));
}

}  // namespace
}  // namespace portwatch::store
