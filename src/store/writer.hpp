#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/batch.hpp"
#include "store/store.hpp"
#include "util/time.hpp"

namespace portwatch::store {

/// The daemon's writer thread: batches are committed in order, one Store::commit() each, on
/// this thread, so storage never blocks the probe loop. A failing commit is retried (every
/// `retry_every` while running, at most `shutdown_retries` more times once stopping) and said
/// once per failure, not once per retry.
class Writer {
  public:
    /// Called on the writer thread after each batch: true when it was saved.
    using Done = std::function<void(bool saved)>;

    struct Options {
        std::chrono::milliseconds retry_every{1000};
        int shutdown_retries = 3;
        /// Rows one step of history pruning deletes at most (Store::compact()).
        std::size_t prune_step_rows = 20'000;
    };

    explicit Writer(Store& store) : Writer(store, Options{}) {}
    Writer(Store& store, Options options);
    ~Writer() { stop(); }
    Writer(Writer const&) = delete;
    Writer& operator=(Writer const&) = delete;

    /// Queues a batch; `done` (may be empty) runs once it is saved or given up.
    void submit(Batch batch, Done done = {});
    /// Queues history pruning (Store::compact() at the time it runs, with `before`), after
    /// the batches queued so far, in bounded steps between later batches.
    void prune(util::TimePoint before);
    /// Commits what is queued, then stops the thread. What could not be saved is logged in
    /// one line with a count.
    void stop();
    /// False while the last commit failed.
    bool healthy() const { return healthy_.load(); }
    /// Batches given up (not saved) so far.
    std::size_t lost() const { return lost_.load(); }

  private:
    struct Job {
        Batch batch;
        Done done;
        std::optional<util::TimePoint> prune_before;
    };

    void loop();
    bool commit_with_retries(Batch const& batch);
    bool stopping();

    Store& store_;
    Options options_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    std::atomic<bool> healthy_{true};
    std::atomic<std::size_t> lost_{0};
    std::size_t failed_attempts_ = 0;  ///< of batches given up, for the shutdown line
    std::string last_error_;
    std::thread thread_;  // last: starts after the members it uses
};

}  // namespace portwatch::store
