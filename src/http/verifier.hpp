#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace portwatch::http {

/// A few threads that run slow work (password hashes, history reads) off the HTTP server's
/// thread, with a bounded queue: when it is full, `submit` refuses at once instead of blocking the
/// caller.
class Verifier {
  public:
    Verifier(std::size_t threads, std::size_t queue_limit);
    /// Calls stop().
    ~Verifier();
    Verifier(Verifier const&) = delete;
    Verifier& operator=(Verifier const&) = delete;

    /// Queues `job`; false (and `job` dropped) when the queue is full or stopped.
    bool submit(std::function<void()> job);

    /// Drops queued jobs, waits for running ones and joins. Idempotent.
    void stop();

  private:
    void work();

    std::size_t const queue_limit_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::thread> threads_;
    bool stopping_ = false;
};

}  // namespace portwatch::http
