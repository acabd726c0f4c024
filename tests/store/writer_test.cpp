#include "store/writer.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace portwatch::store {
namespace {

using namespace std::chrono_literals;

/// A store that records the batches it commits and fails the first `failures` commits (all
/// of them when negative).
class RecordingStore final : public Store {
  public:
    explicit RecordingStore(int failures) : failures_(failures) {}
    util::Result<Loaded> load() override { return Loaded{}; }
    util::Result<void> commit(Batch const& batch) override {
        std::lock_guard lock(mutex_);
        ++attempts;
        if (failures_ != 0) {
            failures_ -= failures_ > 0 ? 1 : 0;
            return util::Error{"disk on fire"};
        }
        saved.push_back(batch.removed.empty() ? "" : batch.removed.front());
        return {};
    }
    util::Result<std::vector<OutboxEntry>> claim(std::string const&, std::size_t,
                                                 std::chrono::milliseconds,
                                                 util::TimePoint) override {
        return std::vector<OutboxEntry>{};
    }
    util::Result<void> prune(util::TimePoint) override {
        std::lock_guard lock(mutex_);
        saved.push_back("prune");
        return {};
    }
    util::Result<void> lock(std::chrono::milliseconds) override { return {}; }
    std::string describe() const override { return "test:store"; }

    std::mutex mutex_;
    int attempts = 0;
    std::vector<std::string> saved;

  private:
    int failures_;
};

Batch batch_named(std::string name) {
    Batch b;
    b.removed = {std::move(name)};
    return b;
}

TEST(Writer, CommitsInOrderAndRunsDoneAfterEach) {
    RecordingStore store(0);
    std::vector<bool> done;
    {
        Writer writer(store);
        writer.submit(batch_named("one"), [&](bool ok) { done.push_back(ok); });
        writer.prune(util::TimePoint{});
        writer.submit(batch_named("two"), [&](bool ok) { done.push_back(ok); });
        writer.stop();
        EXPECT_TRUE(writer.healthy());
        EXPECT_EQ(writer.lost(), 0u);
    }
    EXPECT_EQ(store.saved, (std::vector<std::string>{"one", "prune", "two"}));
    EXPECT_EQ(done, (std::vector<bool>{true, true}));
}

TEST(Writer, RetriesWhileRunningAndSaysItOnce) {
    RecordingStore store(3);
    std::atomic<int> saved{0};
    testing::internal::CaptureStderr();
    {
        Writer writer(store, Writer::Options{.retry_every = 1ms});
        writer.submit(batch_named("one"), [&](bool ok) { saved += ok ? 1 : 0; });
        // Bounded: the batch is saved on its fourth attempt.
        for (int i = 0; i < 5000 && saved.load() == 0; ++i) {
            std::this_thread::sleep_for(1ms);
        }
        writer.stop();
    }
    auto const err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(saved.load(), 1);
    EXPECT_EQ(store.attempts, 4);
    EXPECT_EQ(store.saved, std::vector<std::string>{"one"});
    std::size_t lines = 0;
    for (auto const c : err) {
        lines += c == '\n' ? 1 : 0;
    }
    EXPECT_EQ(lines, 1u) << err;
    EXPECT_NE(err.find("cannot write test:store: disk on fire (retrying every 1 ms)"),
              std::string::npos)
        << err;
}

TEST(Writer, AtShutdownAFailingStoreIsOneLineWithACount) {
    RecordingStore store(-1);
    std::vector<bool> done;
    testing::internal::CaptureStderr();
    {
        Writer writer(store);
        // Queued behind a stop: nothing is committed before stop() is called.
        for (int i = 0; i < 50; ++i) {
            writer.submit(batch_named(std::to_string(i)), [&](bool ok) { done.push_back(ok); });
        }
        writer.stop();
        EXPECT_FALSE(writer.healthy());
        EXPECT_EQ(writer.lost(), 50u);
    }
    auto const err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(done, std::vector<bool>(50, false));
    // The first batch may have failed (and been said) before stop(); then one line at the end.
    std::size_t lines = 0;
    for (auto const c : err) {
        lines += c == '\n' ? 1 : 0;
    }
    EXPECT_LE(lines, 2u) << err;
    EXPECT_NE(err.find("cannot write test:store: disk on fire; 50 batches not saved at shutdown"),
              std::string::npos)
        << err;
}

/// A store whose history upkeep takes `steps` bounded steps.
class SteppedPruneStore final : public Store {
  public:
    util::Result<Loaded> load() override { return Loaded{}; }
    util::Result<void> commit(Batch const& batch) override {
        std::unique_lock lock(mutex_);
        // The first batch waits (at most 10 s) until the test has queued the rest.
        cv.wait_for(lock, 10s, [this] { return open; });
        log.push_back(batch.removed.front());
        return {};
    }
    util::Result<std::vector<OutboxEntry>> claim(std::string const&, std::size_t,
                                                 std::chrono::milliseconds,
                                                 util::TimePoint) override {
        return std::vector<OutboxEntry>{};
    }
    util::Result<bool> compact(util::TimePoint, util::TimePoint, std::size_t max_rows) override {
        std::lock_guard lock(mutex_);
        log.push_back("step " + std::to_string(max_rows));
        return --steps > 0;
    }
    util::Result<void> lock(std::chrono::milliseconds) override { return {}; }
    std::string describe() const override { return "test:store"; }

    std::mutex mutex_;
    std::condition_variable cv;
    bool open = false;
    int steps = 3;
    std::vector<std::string> log;
};

TEST(Writer, PrunesInBoundedStepsBetweenLaterBatches) {
    SteppedPruneStore store;
    Writer writer(store, {.prune_step_rows = 7});
    writer.submit(batch_named("a"));
    writer.prune(util::TimePoint{});
    writer.submit(batch_named("b"));
    {
        std::lock_guard lock(store.mutex_);
        store.open = true;
    }
    store.cv.notify_all();
    for (int i = 0; i < 500; ++i) {
        {
            std::lock_guard lock(store.mutex_);
            if (store.log.size() >= 5)
                break;
        }
        std::this_thread::sleep_for(10ms);
    }
    writer.stop();
    // One step, the batch queued behind it, then the other steps.
    EXPECT_EQ(store.log, (std::vector<std::string>{"a", "step 7", "b", "step 7", "step 7"}));
}

}  // namespace
}  // namespace portwatch::store
