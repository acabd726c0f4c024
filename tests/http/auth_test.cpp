#include "http/auth.hpp"

#include <crypt.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/server_fixture.hpp"
#include "http/summary_log.hpp"
#include "http/verifier.hpp"

namespace portwatch::http {
namespace {

/// A yescrypt hash of `password`; `cost` 0 is the library's default (about 60 ms here),
/// 10 takes a few seconds.
std::string yescrypt(char const* password, unsigned long cost = 0) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    EXPECT_NE(::crypt_gensalt_rn("$y$", cost, nullptr, 0, salt, sizeof salt), nullptr);
    crypt_data data{};
    char const* h = ::crypt_rn(password, salt, &data, sizeof data);
    EXPECT_NE(h, nullptr);
    return h;
}

TEST(AuthenticatorTest, UnknownUserCostsAPasswordCheckLikeAKnownOne) {
    HttpOptions const options{.basic_auth_user = "ops", .basic_auth_hash = yescrypt("pw")};
    Authenticator auth(options);
    struct Case {
        char const* name;
        char const* header;
        bool ok;
    };
    // nobody:pw, ops:wrong, ops:pw
    for (auto const& c : {Case{"unknown user", "Basic bm9ib2R5OnB3", false},
                          Case{"wrong password", "Basic b3BzOndyb25n", false},
                          Case{"right", "Basic b3BzOnB3", true}}) {
        Credential credential;
        ASSERT_EQ(auth.check(c.header, credential), Authenticator::Step::verify) << c.name;
        auto const before = auth.verifications();
        EXPECT_EQ(auth.verify(credential), c.ok) << c.name;
        EXPECT_EQ(auth.verifications(), before + 1) << c.name;
    }
}

TEST(AuthenticatorTest, QuickAnswersNeedNoPasswordCheck) {
    HttpOptions const options{
        .basic_auth_user = "ops", .basic_auth_hash = yescrypt("pw"), .bearer_token = "tok"};
    Authenticator auth(options);
    Credential credential;
    EXPECT_EQ(auth.check("Bearer tok", credential), Authenticator::Step::allowed);
    EXPECT_EQ(auth.check("Bearer nope", credential), Authenticator::Step::denied);
    EXPECT_EQ(auth.check("Basic !!!!", credential), Authenticator::Step::denied);
    EXPECT_EQ(auth.check("", credential), Authenticator::Step::denied);
    ASSERT_EQ(auth.check("Basic b3BzOnB3", credential), Authenticator::Step::verify);
    ASSERT_TRUE(auth.verify(credential));
    auth.remember(credential.digest);
    // Verified once: the same header passes from the cache.
    EXPECT_EQ(auth.check("Basic b3BzOnB3", credential), Authenticator::Step::allowed);
    EXPECT_EQ(auth.verifications(), 1u);
}

TEST(SummaryLogTest, FirstEventLoggedTheRestSummarised) {
    SummaryLog log("failed login(s)", std::chrono::seconds(60));
    auto const t0 = SummaryLog::Clock::time_point() + std::chrono::hours(1);
    EXPECT_EQ(log.note("10.0.0.1", t0), "http: failed login(s) from 10.0.0.1");
    for (int i = 0; i < 1000; ++i) {
        EXPECT_EQ(log.note(i % 2 ? "10.0.0.2" : "10.0.0.1", t0 + std::chrono::seconds(1)),
                  std::nullopt);
    }
    EXPECT_EQ(log.flush(t0 + std::chrono::seconds(59)), std::nullopt);
    EXPECT_EQ(log.flush(t0 + std::chrono::seconds(60)),
              "http: 1000 more failed login(s) in 60 s from 10.0.0.1 10.0.0.2");
    EXPECT_EQ(log.flush(t0 + std::chrono::seconds(200)), std::nullopt);
    EXPECT_EQ(log.note("10.0.0.3", t0 + std::chrono::seconds(300)),
              "http: failed login(s) from 10.0.0.3");
    EXPECT_EQ(log.total(), 1002u);
}

TEST(VerifierTest, FullQueueRefusesAtOnce) {
    Verifier verifier(1, 1);
    std::promise<void> release;
    auto released = release.get_future().share();
    std::promise<void> started;
    ASSERT_TRUE(verifier.submit([&] {
        started.set_value();
        released.wait_for(std::chrono::seconds(10));
    }));
    ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(verifier.submit([] {}));   // queued
    EXPECT_FALSE(verifier.submit([] {}));  // over the bound
    release.set_value();
    verifier.stop();
    EXPECT_FALSE(verifier.submit([] {}));
}

/// Records the order in which a verifier ran jobs; wait() bounds the wait for them.
class RunOrder {
  public:
    std::function<void()> job(std::string name) {
        return [this, name = std::move(name)] {
            std::lock_guard lock(mutex_);
            order_.push_back(name);
            changed_.notify_all();
        };
    }
    std::vector<std::string> wait(std::size_t count) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, 10s, [&] { return order_.size() >= count; });
        return order_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> order_;
};

/// A verifier with one thread, held busy until the returned promise is set.
std::promise<void> hold(Verifier& verifier) {
    std::promise<void> release;
    std::promise<void> started;
    auto released = release.get_future().share();
    EXPECT_TRUE(verifier.submit([&started, released] {
        started.set_value();
        released.wait_for(10s);
    }));
    EXPECT_EQ(started.get_future().wait_for(10s), std::future_status::ready);
    return release;
}

TEST(VerifierTest, LanesTakeTurns) {
    Verifier verifier(1, 8);
    RunOrder order;
    auto release = hold(verifier);
    for (auto const* name : {"a1", "a2", "a3", "a4"}) {
        ASSERT_TRUE(verifier.submit(order.job(name), "10.0.0.1"));
    }
    ASSERT_TRUE(verifier.submit(order.job("b1"), "10.0.0.2"));
    release.set_value();
    // In arrival order b1 would wait for all four of a's jobs.
    EXPECT_EQ(order.wait(5), (std::vector<std::string>{"a1", "b1", "a2", "a3", "a4"}));
}

TEST(VerifierTest, ANamedLaneHoldsHalfTheQueueTheUnnamedOneAllOfIt) {
    Verifier verifier(1, 4);
    RunOrder order;
    auto release = hold(verifier);
    EXPECT_TRUE(verifier.submit(order.job("a1"), "10.0.0.1"));
    EXPECT_TRUE(verifier.submit(order.job("a2"), "10.0.0.1"));
    EXPECT_FALSE(verifier.submit(order.job("a3"), "10.0.0.1"));  // its lane is full
    EXPECT_TRUE(verifier.submit(order.job("b1"), "10.0.0.2"));   // another lane is not
    EXPECT_TRUE(verifier.submit(order.job("b2"), "10.0.0.2"));
    EXPECT_FALSE(verifier.submit(order.job("c1"), "10.0.0.3"));  // the queue is full
    release.set_value();
    EXPECT_EQ(order.wait(4), (std::vector<std::string>{"a1", "b1", "a2", "b2"}));

    Verifier history(1, 3);
    auto release_history = hold(history);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(history.submit([] {})) << i;
    }
    EXPECT_FALSE(history.submit([] {}));
    release_history.set_value();
}

/// True when `c` has an answer waiting now (a poll without waiting; the answer stays unread).
bool answered(Client& c) {
    return c.readable();
}

TEST_F(ServerTest, PasswordChecksDoNotHoldUpOtherRequests) {
    // A check of a few seconds: on the server's thread it would delay everything behind it.
    start({.basic_auth_user = "ops", .basic_auth_hash = yescrypt("pw", 10), .bearer_token = "t"});
    Client bad(server_->port());
    bad.send(request("GET", "/metrics", "Authorization: Basic b3BzOndyb25n\r\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // being checked
    Client scrape(server_->port());
    scrape.send(request("GET", "/metrics", "Authorization: Bearer t\r\n"));
    EXPECT_EQ(scrape.read(30s).status, 200);
    EXPECT_EQ(get("/healthz").status, 200);
    // The scrape and the health check were answered while the password was still checked.
    EXPECT_FALSE(answered(bad));
    EXPECT_EQ(bad.read(60s).status, 401);
}

TEST_F(ServerTest, FullPasswordQueueAnswers503) {
    start({.basic_auth_user = "ops",
           .basic_auth_hash = yescrypt("pw", 10),
           .auth_queue = 1,
           .auth_threads = 1});
    Client running(server_->port());
    running.send(request("GET", "/metrics", "Authorization: Basic b3BzOndyb25n\r\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Client queued(server_->port());
    queued.send(request("GET", "/metrics", "Authorization: Basic bm9ib2R5OnB3\r\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Client refused(server_->port());
    refused.send(request("GET", "/metrics", "Authorization: Basic b3BzOnh4\r\n"));
    auto const r = refused.read(30s);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.headers.count("retry-after"), 1u);
    EXPECT_FALSE(answered(running));
    EXPECT_EQ(running.read(60s).status, 401);
    EXPECT_EQ(queued.read(60s).status, 401);
}

TEST_F(ServerTest, WrongPasswordsFromOneAddressDoNotHoldUpAnotherAddress) {
    // One verifier thread and checks of a few hundred ms (yescrypt cost 7): 127.0.0.2 sends six
    // wrong passwords, then 127.0.0.3 logs in. Checked in arrival order, the login would wait
    // for all six; by turns it waits for the one being checked and at most one more.
    start({.basic_auth_user = "ops",
           .basic_auth_hash = yescrypt("pw", 7),
           .auth_queue = 16,
           .auth_threads = 1});
    std::vector<std::unique_ptr<Client>> bad;
    for (int i = 0; i < 6; ++i) {
        bad.push_back(std::make_unique<Client>(server_->port(), "127.0.0.2"));
        ASSERT_TRUE(bad.back()->connected());
        bad.back()->send(request("GET", "/metrics", "Authorization: Basic b3BzOndyb25n\r\n"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // all six queued
    Client login(server_->port(), "127.0.0.3");
    ASSERT_TRUE(login.connected());
    login.send(request("GET", "/metrics", "Authorization: Basic b3BzOnB3\r\n"));
    EXPECT_EQ(login.read(60s).status, 200);
    int answered_before = 0;
    for (auto& c : bad) {
        answered_before += answered(*c);
    }
    EXPECT_LE(answered_before, 3);
    for (auto& c : bad) {
        EXPECT_EQ(c->read(60s).status, 401);
    }
}

TEST_F(ServerTest, PublicStatusLeavesMetricsAndApiProtected) {
    start({.bearer_token = "t", .public_status = true});
    for (auto const* open :
         {"/", "/index.html", "/api/v1/status", "/badge/web/status.svg", "/assets/status.js"}) {
        EXPECT_EQ(get(open).status, 200) << open;
    }
    for (auto const* closed :
         {"/metrics", "/api/v1/targets", "/api/v1/targets/web", "/api/v1/events", "/api/v1/nope"}) {
        EXPECT_EQ(get(closed).status, 401) << closed;
        EXPECT_EQ(get(closed, "Authorization: Bearer t\r\n").status == 401, false) << closed;
    }
}

}  // namespace
}  // namespace portwatch::http
