#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "http/snapshot.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::driver {

/// Hands the HTTP thread a picture of the daemon without touching live state: a snapshot is
/// built on the loop when a reader asks and the last one is too old (max_age, or min_age after
/// a change), so nobody pays for snapshots while nobody looks.
class SnapshotPublisher {
  public:
    using Build = std::function<http::SnapshotPtr()>;

    /// `build` runs on `io`'s thread.
    SnapshotPublisher(boost::asio::io_context& io, Build build);

    /// Something a reader sees changed (a status, the target set, the outbox...).
    void mark_stale() { stale_.store(true, std::memory_order_relaxed); }
    /// Builds and publishes now; on the loop's thread only.
    void publish();
    /// From a reader's thread (never the loop's): the last snapshot while it is fresh, else a
    /// new one built on the loop, waited for at most a second (then the last one).
    http::SnapshotPtr fresh();
    /// The loop runs no more: readers get the last snapshot at once.
    void loop_done();

    static constexpr std::chrono::milliseconds max_age{1000};
    static constexpr std::chrono::milliseconds min_age{250};
    static constexpr std::chrono::milliseconds wait{1000};

  private:
    boost::asio::io_context& io_;
    Build build_;
    std::mutex mutex_;
    std::condition_variable built_cv_;
    http::SnapshotPtr current_;
    std::chrono::steady_clock::time_point built_{};
    std::uint64_t generation_ = 0;
    bool wanted_ = false;  ///< a build is posted to the loop
    bool loop_done_ = false;
    std::atomic<bool> stale_{true};
};

}  // namespace portwatch::driver
