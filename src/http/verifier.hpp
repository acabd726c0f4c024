#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace portwatch::http {

/// A few threads that run slow work (password hashes, history reads) off the HTTP server's
/// thread, with a bounded queue: when it is full, `submit` refuses at once instead of blocking the
/// caller.
///
/// Jobs come in lanes (password checks: the client's address): the threads take the lanes in
/// turn, and a named lane holds at most half of the queue. A client that sends wrong passwords
/// as fast as it can neither fills the queue nor delays another client's first login by more
/// than about one check per busy lane. The unnamed lane (history reads) may fill the queue.
class Verifier {
  public:
    Verifier(std::size_t threads, std::size_t queue_limit);
    /// Calls stop().
    ~Verifier();
    Verifier(Verifier const&) = delete;
    Verifier& operator=(Verifier const&) = delete;

    /// Queues `job` in `lane`; false (and `job` dropped) when the queue or the (named) lane is
    /// full, or the verifier stopped.
    bool submit(std::function<void()> job, std::string const& lane = {});

    /// Drops queued jobs, waits for running ones and joins. Idempotent.
    void stop();

  private:
    void work();

    std::size_t const queue_limit_;
    std::size_t const lane_limit_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::string, std::deque<std::function<void()>>> lanes_;  ///< only lanes with jobs
    std::deque<std::string> turns_;  ///< each lane with jobs once, the next to serve first
    std::size_t queued_ = 0;
    std::vector<std::thread> threads_;
    bool stopping_ = false;
};

}  // namespace portwatch::http
