#include "driver/snapshot_publisher.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace portwatch::driver {

SnapshotPublisher::SnapshotPublisher(boost::asio::io_context& io, Build build)
    : io_(io), build_(std::move(build)) {}

void SnapshotPublisher::publish() {
    stale_.store(false, std::memory_order_relaxed);
    auto snap = build_();
    {
        std::lock_guard lock(mutex_);
        current_ = std::move(snap);
        built_ = std::chrono::steady_clock::now();
        ++generation_;
        wanted_ = false;
    }
    built_cv_.notify_all();
}

http::SnapshotPtr SnapshotPublisher::fresh() {
    std::unique_lock lock(mutex_);
    auto const age = std::chrono::steady_clock::now() - built_;
    auto const limit = stale_.load(std::memory_order_relaxed) ? std::chrono::nanoseconds(min_age)
                                                              : std::chrono::nanoseconds(max_age);
    if ((current_ && age < limit) || loop_done_) {
        return current_;
    }
    auto const seen = generation_;
    if (!wanted_) {
        wanted_ = true;
        boost::asio::post(io_, [this] { publish(); });
    }
    built_cv_.wait_for(lock, wait, [&] { return generation_ != seen || loop_done_; });
    return current_;
}

void SnapshotPublisher::loop_done() {
    {
        std::lock_guard lock(mutex_);
        loop_done_ = true;
    }
    built_cv_.notify_all();
}

}  // namespace portwatch::driver
