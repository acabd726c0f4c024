#include "http/verifier.hpp"

#include <algorithm>

namespace portwatch::http {

Verifier::Verifier(std::size_t threads, std::size_t queue_limit)
    : queue_limit_(queue_limit), lane_limit_(std::max<std::size_t>(1, queue_limit / 2)) {
    for (std::size_t i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { work(); });
    }
}

Verifier::~Verifier() {
    stop();
}

bool Verifier::submit(std::function<void()> job, std::string const& lane) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queued_ >= queue_limit_) {
            return false;
        }
        auto& jobs = lanes_[lane];
        if (!lane.empty() && jobs.size() >= lane_limit_) {
            return false;
        }
        if (jobs.empty()) {
            turns_.push_back(lane);
        }
        jobs.push_back(std::move(job));
        ++queued_;
    }
    wake_.notify_one();
    return true;
}

void Verifier::stop() {
    std::map<std::string, std::deque<std::function<void()>>> dropped;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        dropped.swap(lanes_);
        turns_.clear();
        queued_ = 0;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
}

void Verifier::work() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || queued_ > 0; });
            if (stopping_) {
                return;
            }
            // The lane whose turn it is gives its oldest job and, if it has more, goes last.
            auto const lane = lanes_.find(turns_.front());
            turns_.pop_front();
            job = std::move(lane->second.front());
            lane->second.pop_front();
            --queued_;
            if (lane->second.empty()) {
                lanes_.erase(lane);
            } else {
                turns_.push_back(lane->first);
            }
        }
        job();
    }
}

}  // namespace portwatch::http
