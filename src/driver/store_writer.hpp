#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "store/sqlite.hpp"

namespace portwatch::driver {

/// The store writer: batches are applied in order, in one transaction each, on this thread,
/// so storage never blocks the probe loop. `done(ok)` runs on this thread after each batch.
class StoreWriter {
  public:
    using Done = std::function<void(bool)>;

    explicit StoreWriter(store::SqliteStore& store);
    ~StoreWriter() { stop(); }
    StoreWriter(StoreWriter const&) = delete;
    StoreWriter& operator=(StoreWriter const&) = delete;

    void submit(store::Batch batch, Done done);
    void prune(util::TimePoint before);
    /// Applies what is queued (each failing batch is retried at most 3 more times), then
    /// stops the thread.
    void stop();
    bool healthy() const { return healthy_.load(); }

  private:
    struct Job {
        store::Batch batch;
        Done done;
        std::optional<util::TimePoint> prune_before;
    };
    void loop();

    store::SqliteStore& store_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    std::atomic<bool> healthy_{true};
    std::thread thread_;  // last: starts after the members it uses
};

}  // namespace portwatch::driver
