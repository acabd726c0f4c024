#include "store/writer.hpp"

#include <utility>

#include "util/fault_point.hpp"
#include "util/log.hpp"

namespace portwatch::store {

namespace log = util::log;

Writer::Writer(Store& store, Options options)
    : store_(store), options_(options), thread_([this] { loop(); }) {}

void Writer::submit(Batch batch, Done done) {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{std::move(batch), std::move(done), {}});
    cv_.notify_one();
}

void Writer::prune(util::TimePoint before) {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{{}, {}, before});
    cv_.notify_one();
}

void Writer::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
        cv_.notify_one();
    }
    thread_.join();
}

bool Writer::stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
}

void Writer::loop() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                break;
            }
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        if (job.prune_before) {
            // One bounded step; the rest after the batches queued meanwhile.
            auto r =
                store_.compact(util::Clock::now(), *job.prune_before, options_.prune_step_rows);
            if (!r) {
                log::warn("cannot prune history: {}", r.error().message);
            } else if (*r) {
                std::lock_guard lock(mutex_);
                if (!stopping_) {
                    queue_.push_back(std::move(job));
                }
            }
            continue;
        }
        bool const saved = commit_with_retries(job.batch);
        healthy_ = saved;
        if (saved && !job.batch.outbox_put.empty()) {
            util::fault_point("daemon-after-commit");  // tests: kill -9 before any send
        }
        if (job.done) {
            job.done(saved);
        }
    }
    if (auto const n = lost_.load(); n > 0) {
        log::error("cannot write {}: {}; {} batch{} not saved at shutdown ({} attempts)",
                   store_.describe(), last_error_, n, n == 1 ? "" : "es", failed_attempts_);
    }
}

// While running, a batch is retried until it is saved (the store may come back: disk space,
// a lock); once stopping, a few more times, and after one batch was given up the rest get
// one attempt each (the store is gone; stopping must not take minutes).
bool Writer::commit_with_retries(Batch const& batch) {
    int failures = 0;
    for (;;) {
        auto r = store_.commit(batch);
        if (r) {
            if (failures > 0 && !stopping()) {
                log::info("wrote {} again after {} failed attempt{}", store_.describe(), failures,
                          failures == 1 ? "" : "s");
            }
            return true;
        }
        ++failures;
        healthy_ = false;
        last_error_ = r.error().message;
        bool const stop = stopping();
        if (!stop && failures == 1) {
            log::error("cannot write {}: {} (retrying every {} ms)", store_.describe(), last_error_,
                       options_.retry_every.count());
        }
        if (stop && (failures > options_.shutdown_retries || lost_.load() > 0)) {
            failed_attempts_ += static_cast<std::size_t>(failures);
            lost_ += 1;
            return false;
        }
        if (!stop) {
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, options_.retry_every, [this] { return stopping_; });
        }
    }
}

}  // namespace portwatch::store
